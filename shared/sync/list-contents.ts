import type { KubeClient } from '../kube/client.ts';
import { resourcePath, type ResourceInfo } from '../kube/discovery.ts';
import {
  describeRef,
  groupOf,
  objectKey,
  type KubeObject,
  type ObjectRef,
} from '../kube/object.ts';
import { mapLimit } from '../util/map-limit.ts';
import type { SyncContext } from './context.ts';
import { namespacedKinds } from '../kube/namespaced-kinds.ts';

/**
 * The objects outside an application that deleting one CRD or Namespace
 * would delete with it: a few by name, and how many in all.
 */
export interface Contents {
  /** Up to SHOWN of them, to name in a message. */
  shown: ObjectRef[];
  /** How many were found in all. */
  total: number;
  /** Lists that could not be read, or were cut off: there may be more than `total`. */
  unchecked: string[];
}

/** Named in messages; the rest are counted. */
export const SHOWN = 5;
// A list per kind is read at most this far: a namespace holding more than
// this of one kind is held back as "not all checked" rather than paged on.
const PAGE = 500;
const MAX_PAGES = 10;

// Objects every namespace gets from the control plane: the namespace
// controller deletes them with it, and no person made them.
const BUILT_IN = new Set(['/ConfigMap/kube-root-ca.crt', '/ServiceAccount/default']);
// Records of what happened, not objects anyone keeps.
const RECORDS = new Set(['/Event', 'events.k8s.io/Event', '/Endpoints']);

interface PartialList {
  items?: { metadata: { name?: string; namespace?: string; ownerReferences?: unknown[] } }[];
  metadata?: { continue?: string };
}

/** Lists what deletes would take with them; the namespaced kinds are discovered once per lister. */
export class ContentsLister {
  private readonly ctx: SyncContext;
  /** Keys of every object the application's inventory holds: those are not "outside". */
  private readonly inventory: Set<string>;
  private namespacedKinds: Promise<ResourceInfo[]> | undefined;

  constructor(ctx: SyncContext, inventory: Set<string>) {
    this.ctx = ctx;
    this.inventory = inventory;
  }

  /** The custom resources of a live CRD, in every namespace, that the inventory does not hold. */
  async ofCrd(crd: KubeObject): Promise<Contents> {
    const info = servedResource(crd);
    const found = emptyContents();
    if (!info) return found;
    await this.collect(info, undefined, found, false);
    return found;
  }

  /**
   * The objects in a Namespace the inventory does not hold. Objects with an
   * owner are left out: the garbage collector deletes them with their owner,
   * which is counted itself when it is in the namespace.
   */
  async ofNamespace(name: string): Promise<Contents> {
    this.namespacedKinds ??= namespacedKinds(this.ctx.client, ['list', 'delete']);
    const kinds = await this.namespacedKinds;
    const found = emptyContents();
    await mapLimit(kinds, this.ctx.concurrency, (info) => this.collect(info, name, found, true));
    return found;
  }

  private async collect(
    info: ResourceInfo,
    namespace: string | undefined,
    found: Contents,
    skipOwned: boolean,
  ): Promise<void> {
    const apiVersion = info.group ? `${info.group}/${info.version}` : info.version;
    let continueToken: string | undefined;
    let pages = 0;
    try {
      do {
        const page = await listPage(this.ctx.client, info, namespace, continueToken);
        for (const { metadata } of page.items ?? []) {
          if (skipOwned && metadata.ownerReferences?.length) continue;
          const ref: ObjectRef = { apiVersion, kind: info.kind, name: metadata.name ?? '' };
          if (metadata.namespace) ref.namespace = metadata.namespace;
          if (this.inventory.has(objectKey(ref)) || isBuiltIn(ref)) continue;
          found.total++;
          if (found.shown.length < SHOWN) found.shown.push(ref);
        }
        continueToken = page.metadata?.continue || undefined;
      } while (continueToken && ++pages < MAX_PAGES);
      if (continueToken) found.unchecked.push(`${info.resource}: more than ${PAGE * MAX_PAGES}`);
    } catch (err) {
      found.unchecked.push(`${info.resource}: ${(err as Error).message}`);
    }
  }
}

/** `Kind ns/name, ... and N more`, for a message. */
export function describeContents(contents: Contents): string {
  const names = contents.shown.map(describeRef).join(', ');
  const rest = contents.total - contents.shown.length;
  const more = rest > 0 ? ` and ${rest} more` : '';
  const unchecked = contents.unchecked.length
    ? `${names ? '; ' : ''}not all checked (${contents.unchecked.join('; ')})`
    : '';
  return `${names}${more}${unchecked}`;
}

export function emptyContents(): Contents {
  return { shown: [], total: 0, unchecked: [] };
}

function isBuiltIn(ref: ObjectRef): boolean {
  const kind = `${groupOf(ref.apiVersion)}/${ref.kind}`;
  return RECORDS.has(kind) || BUILT_IN.has(`${kind}/${ref.name}`);
}

/** Metadata only: the specs of what is to be counted are never needed. */
function listPage(
  client: KubeClient,
  info: ResourceInfo,
  namespace: string | undefined,
  continueToken: string | undefined,
): Promise<PartialList> {
  return client.request<PartialList>({
    method: 'GET',
    path: resourcePath(info, namespace),
    query: { limit: PAGE, continue: continueToken },
    accept: 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1',
  });
}

/** Where a live CRD serves its kind (the storage version if served, else the first served). */
function servedResource(crd: KubeObject): ResourceInfo | undefined {
  const spec = crd.spec as
    | {
        group?: string;
        scope?: string;
        names?: { kind?: string; plural?: string };
        versions?: { name: string; served?: boolean; storage?: boolean }[];
      }
    | undefined;
  const served = (spec?.versions ?? []).filter((v) => v.served);
  const version = served.find((v) => v.storage) ?? served[0];
  if (!spec?.group || !spec.names?.kind || !spec.names.plural || !version) return undefined;
  return {
    group: spec.group,
    version: version.name,
    kind: spec.names.kind,
    resource: spec.names.plural,
    namespaced: spec.scope !== 'Cluster',
  };
}
