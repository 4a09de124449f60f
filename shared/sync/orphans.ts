import type { KubeClient } from '../kube/client.ts';
import { resourcePath, type ResourceInfo } from '../kube/discovery.ts';
import { KubeApiError } from '../kube/errors.ts';
import { groupOf, objectKey, type ObjectMeta, type ObjectRef } from '../kube/object.ts';
import { globMatch } from '../util/glob.ts';
import { mapLimit } from '../util/map-limit.ts';
import type { SyncContext } from './context.ts';
import { APP_ANNOTATION, APP_LABEL, MANAGED_BY_LABEL, MANAGED_BY_VALUE } from './ownership.ts';
import { namespacedKinds } from '../kube/namespaced-kinds.ts';

/**
 * A project's rule hiding objects from the orphan report (Argo CD's
 * `orphanedResources.ignore`): `group`, `kind` and `name` are globs; an
 * absent `name` matches every name.
 */
export interface OrphanIgnore {
  group: string;
  kind: string;
  name?: string;
}

export interface OrphanQuery {
  /** The application's namespaces. */
  namespaces: string[];
  /** `objectKey()`s of the application's own objects. */
  declared: Set<string>;
  ignore: OrphanIgnore[];
  /**
   * Namespaced kinds the project lets its applications manage. Argo CD never
   * calls a kind the project denies an orphan (it is the cluster
   * administrator's); such kinds are not even listed. Every kind when absent.
   */
  permitted?: (group: string, kind: string) => boolean;
  /** Bounds, for tests; the defaults are MAX_SEEN_PER_NAMESPACE and PAGE_SIZE. */
  limits?: { seenPerNamespace?: number; pageSize?: number };
}

export interface OrphanReport {
  /** The first ORPHANS_SHOWN orphans by namespace, group, kind and name. */
  objects: ObjectRef[];
  /** How many orphans were found in all. */
  total: number;
  /**
   * What could not be checked: kinds that could not be listed (Forbidden and
   * the like, named per namespace) and namespaces cut off at the bound.
   * There may be more orphans than `total` when this is not empty.
   */
  errors: string[];
}

/** Orphans named in a report; the rest are counted. */
export const ORPHANS_SHOWN = 50;
/** Objects of all kinds read in one namespace before the listing stops there. */
export const MAX_SEEN_PER_NAMESPACE = 5_000;
const PAGE_SIZE = 500;

const METADATA_LIST = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1';

// What Kubernetes (or a controller) makes by itself, following Argo CD
// (argoproj/argo-cd, read at 37ee009):
//
// - controller/appcontroller.go, isKnownOrphanedResourceExclusion: the
//   ServiceAccount `default` and the ConfigMap `kube-root-ca.crt` in every
//   namespace, the Service `kubernetes` in `default`;
// - docs/user-guide/orphaned-resources.md adds the default ServiceAccount's
//   auto-generated token Secret (clusters before 1.24 made one per namespace);
// - util/settings/resources_filter.go, coreExcludedResources (never watched
//   at all): the groups events.k8s.io and metrics.k8s.io, the core Event,
//   coordination.k8s.io Lease (leader election and node heartbeats, in
//   kube-node-lease and in any namespace a controller elects a leader);
// - manifests/base/config/argocd-cm.yaml, the default resource.exclusions:
//   the authentication and authorization reviews (never listable anyway),
//   cert-manager CertificateRequests, Cilium's and Kyverno's intermediate
//   objects, and Endpoints and EndpointSlices. Argo CD hides every Endpoints
//   and EndpointSlice; here only those of a Service that exists in the
//   namespace are hidden (the endpoints controller names Endpoints after
//   their Service and labels EndpointSlices `kubernetes.io/service-name`;
//   most EndpointSlices also have an owner), so a stray one is still reported.
//
// Objects with an ownerReference are never orphans (Argo CD counts only
// top-level objects: ReplicaSets, Pods, controller-made EndpointSlices).

/** Kinds never listed: [groups, kinds]; `*` is every kind of the groups. */
const EXCLUDED_KINDS: [string[], string[]][] = [
  [['events.k8s.io', 'metrics.k8s.io'], ['*']],
  [[''], ['Event']],
  [['coordination.k8s.io'], ['Lease']],
  [
    ['authentication.k8s.io', 'authorization.k8s.io'],
    [
      'SelfSubjectReview',
      'TokenReview',
      'LocalSubjectAccessReview',
      'SelfSubjectAccessReview',
      'SelfSubjectRulesReview',
      'SubjectAccessReview',
    ],
  ],
  [['certificates.k8s.io'], ['CertificateSigningRequest']],
  [['cert-manager.io'], ['CertificateRequest']],
  [['cilium.io'], ['CiliumIdentity', 'CiliumEndpoint', 'CiliumEndpointSlice']],
  [
    ['kyverno.io', 'reports.kyverno.io', 'wgpolicyk8s.io'],
    [
      'PolicyReport',
      'ClusterPolicyReport',
      'EphemeralReport',
      'ClusterEphemeralReport',
      'AdmissionReport',
      'ClusterAdmissionReport',
      'BackgroundScanReport',
      'ClusterBackgroundScanReport',
      'UpdateRequest',
    ],
  ],
];

/** Objects every namespace (or `namespace`) gets from the control plane. */
const BUILT_IN: { group: string; kind: string; name: string; namespace?: string }[] = [
  { group: '', kind: 'ServiceAccount', name: 'default' },
  { group: '', kind: 'ConfigMap', name: 'kube-root-ca.crt' },
  { group: '', kind: 'Service', name: 'kubernetes', namespace: 'default' },
];

const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
const SERVICE_ACCOUNT_ANNOTATION = 'kubernetes.io/service-account.name';

interface ListItem {
  metadata: ObjectMeta & { ownerReferences?: unknown[]; deletionTimestamp?: string };
}

interface Page {
  items?: ListItem[];
  metadata?: { continue?: string };
}

/** What one namespace's listing found so far. */
interface Scan {
  namespace: string;
  seen: number;
  /** The bound was reached: some kinds were not (fully) listed. */
  stopped: boolean;
  orphans: ObjectRef[];
  /** Endpoints and EndpointSlices with the Service they serve, judged once Services are known. */
  endpoints: { ref: ObjectRef; service: string | undefined }[];
  services: Set<string>;
  servicesListed: boolean;
  /** Why a kind could not be listed → the kinds. */
  failures: Map<string, string[]>;
}

/**
 * Objects in the application's namespaces that nothing declared: not the
 * application's, not marked by any Driftless application, without an owner,
 * not ignored by the project and not made by Kubernetes itself (see above).
 *
 * Lists every namespaced kind the server serves with `list`, at its group's
 * preferred version, metadata only, `ctx.concurrency` lists at a time. A kind
 * that cannot be listed is named in `errors`, never thrown; a namespace stops
 * being listed after MAX_SEEN_PER_NAMESPACE objects. Throws only when
 * `ctx.signal` is aborted.
 */
export async function findOrphans(ctx: SyncContext, input: OrphanQuery): Promise<OrphanReport> {
  ctx.signal?.throwIfAborted();
  let kinds: ResourceInfo[];
  try {
    kinds = await namespacedKinds(ctx.client, ['list']);
  } catch (err) {
    if (ctx.signal?.aborted) throw ctx.signal.reason;
    return { objects: [], total: 0, errors: [`discovery failed: ${describe(err)}`] };
  }
  kinds = kinds.filter(
    (k) =>
      !excludedKind(k) &&
      !input.ignore.some((rule) => !rule.name && ignoresKind(rule, k)) &&
      (input.permitted?.(k.group, k.kind) ?? true),
  );
  const scans = [...new Set(input.namespaces)].sort().map(newScan);
  const limits = {
    seen: input.limits?.seenPerNamespace ?? MAX_SEEN_PER_NAMESPACE,
    page: input.limits?.pageSize ?? PAGE_SIZE,
  };
  const jobs = scans.flatMap((scan) => kinds.map((info) => ({ scan, info })));
  await mapLimit(jobs, ctx.concurrency, ({ scan, info }) =>
    listKind(ctx, info, scan, limits, (item) => consider(input, info, scan, item)),
  );
  ctx.signal?.throwIfAborted();
  return report(scans);
}

function newScan(namespace: string): Scan {
  return {
    namespace,
    seen: 0,
    stopped: false,
    orphans: [],
    endpoints: [],
    services: new Set(),
    servicesListed: false,
    failures: new Map(),
  };
}

/** Reads one kind in one namespace, page by page, within the namespace's bound. */
async function listKind(
  ctx: SyncContext,
  info: ResourceInfo,
  scan: Scan,
  limits: { seen: number; page: number },
  each: (item: ListItem) => void,
): Promise<void> {
  const isService = info.group === '' && info.kind === 'Service';
  let continueToken: string | undefined;
  let metadataOnly = true;
  try {
    do {
      ctx.signal?.throwIfAborted();
      const room = limits.seen - scan.seen;
      if (room <= 0) {
        scan.stopped = true;
        return;
      }
      const query = { limit: Math.min(limits.page, room), continue: continueToken };
      let page: Page;
      try {
        page = await listPage(ctx.client, info, scan.namespace, query, metadataOnly);
      } catch (err) {
        // An aggregated API server that cannot answer with metadata only.
        if (!(err instanceof KubeApiError && err.statusCode === 406 && metadataOnly)) throw err;
        metadataOnly = false;
        page = await listPage(ctx.client, info, scan.namespace, query, metadataOnly);
      }
      for (const item of page.items ?? []) {
        // Lists of other kinds in flight may have filled the namespace's bound meanwhile.
        if (scan.seen >= limits.seen) {
          scan.stopped = true;
          return;
        }
        scan.seen++;
        each(item);
      }
      continueToken = page.metadata?.continue || undefined;
    } while (continueToken);
    if (isService) scan.servicesListed = true;
  } catch (err) {
    if (ctx.signal?.aborted) throw ctx.signal.reason;
    // Gone since discovery (a CRD deleted meanwhile), or not listable after all: nothing to report.
    if (err instanceof KubeApiError && (err.notFound || err.statusCode === 405)) {
      if (isService) scan.servicesListed = true;
      return;
    }
    const why = describe(err);
    scan.failures.set(why, [...(scan.failures.get(why) ?? []), kindName(info)]);
  }
}

function listPage(
  client: KubeClient,
  info: ResourceInfo,
  namespace: string,
  query: { limit: number; continue: string | undefined },
  metadataOnly: boolean,
): Promise<Page> {
  return client.request<Page>({
    method: 'GET',
    path: resourcePath(info, namespace),
    query,
    accept: metadataOnly ? METADATA_LIST : 'application/json',
  });
}

/** Files one listed object as an orphan, a pending Endpoints, or nothing. */
function consider(input: OrphanQuery, info: ResourceInfo, scan: Scan, item: ListItem): void {
  const meta = item.metadata;
  const name = meta.name ?? '';
  if (info.group === '' && info.kind === 'Service') scan.services.add(name);
  // Owned objects go with their owner; objects being deleted are going already.
  if (meta.ownerReferences?.length || meta.deletionTimestamp) return;
  if (carriesMarks(meta)) return;
  const ref: ObjectRef = {
    apiVersion: info.group ? `${info.group}/${info.version}` : info.version,
    kind: info.kind,
    namespace: meta.namespace ?? scan.namespace,
    name,
  };
  if (input.declared.has(objectKey(ref))) return;
  if (builtIn(info, ref, meta)) return;
  if (
    input.ignore.some(
      (rule) => ignoresKind(rule, info) && (!rule.name || globMatch(rule.name, name)),
    )
  )
    return;
  if (info.group === '' && info.kind === 'Endpoints') {
    scan.endpoints.push({ ref, service: name });
  } else if (info.group === 'discovery.k8s.io' && info.kind === 'EndpointSlice') {
    scan.endpoints.push({ ref, service: meta.labels?.[SERVICE_NAME_LABEL] });
  } else {
    scan.orphans.push(ref);
  }
}

/**
 * Any Driftless mark: this application's objects that are not declared any
 * more are prune's business, another application's are that one's.
 */
function carriesMarks(meta: ObjectMeta): boolean {
  return (
    meta.labels?.[MANAGED_BY_LABEL] === MANAGED_BY_VALUE ||
    meta.labels?.[APP_LABEL] !== undefined ||
    meta.annotations?.[APP_ANNOTATION] !== undefined
  );
}

function builtIn(info: ResourceInfo, ref: ObjectRef, meta: ObjectMeta): boolean {
  if (
    BUILT_IN.some(
      (b) =>
        b.group === info.group &&
        b.kind === info.kind &&
        b.name === ref.name &&
        (b.namespace === undefined || b.namespace === ref.namespace),
    )
  )
    return true;
  // The token Secret the ServiceAccount controller made for `default` before Kubernetes 1.24.
  return (
    info.group === '' &&
    info.kind === 'Secret' &&
    ref.name.startsWith('default-token-') &&
    meta.annotations?.[SERVICE_ACCOUNT_ANNOTATION] === 'default'
  );
}

function excludedKind(info: ResourceInfo): boolean {
  return EXCLUDED_KINDS.some(
    ([groups, kinds]) =>
      groups.includes(info.group) && (kinds.includes('*') || kinds.includes(info.kind)),
  );
}

/** Whether the rule's group and kind globs match (Argo CD: an empty kind matches any). */
function ignoresKind(rule: OrphanIgnore, info: ResourceInfo): boolean {
  return globMatch(rule.group, info.group) && (rule.kind === '' || globMatch(rule.kind, info.kind));
}

function report(scans: Scan[]): OrphanReport {
  const found: ObjectRef[] = [];
  const errors: string[] = [];
  for (const scan of scans) {
    found.push(...scan.orphans);
    // Without every Service's name an Endpoints cannot be judged; the failure is reported below.
    if (scan.servicesListed) {
      for (const { ref, service } of scan.endpoints)
        if (service === undefined || !scan.services.has(service)) found.push(ref);
    }
    const ns = JSON.stringify(scan.namespace);
    for (const [why, kinds] of [...scan.failures].sort(([a], [b]) => compare(a, b)))
      errors.push(`namespace ${ns}: cannot list ${kinds.sort(compare).join(', ')}: ${why}`);
    if (scan.stopped)
      errors.push(
        `namespace ${ns}: stopped after ${scan.seen} objects; the rest of the namespace was not checked`,
      );
  }
  found.sort(
    (a, b) =>
      compare(a.namespace ?? '', b.namespace ?? '') ||
      compare(groupOf(a.apiVersion), groupOf(b.apiVersion)) ||
      compare(a.kind, b.kind) ||
      compare(a.name, b.name),
  );
  return { objects: found.slice(0, ORPHANS_SHOWN), total: found.length, errors };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `ConfigMap`, `Deployment.apps`: kubectl's kind.group. */
function kindName(info: ResourceInfo): string {
  return info.group ? `${info.kind}.${info.group}` : info.kind;
}

/** The reason an API server gave (Forbidden, ...), or what went wrong reaching it. */
function describe(err: unknown): string {
  if (err instanceof KubeApiError) {
    if (err.forbidden || err.statusCode === 401) return err.reason;
    return `${err.reason}: ${err.message}`;
  }
  return err instanceof Error ? err.message : String(err);
}
