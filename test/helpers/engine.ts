import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { KubeClient } from '../../shared/kube/client.ts';
import { Discovery } from '../../shared/kube/discovery.ts';
import type { KubeObject } from '../../shared/kube/object.ts';
import type { RenderedObject } from '../../shared/render/types.ts';
import type { SyncContext } from '../../shared/sync/context.ts';
import type { Inventory } from '../../shared/sync/inventory.ts';
import { syncObjects, type SyncObjectsOptions } from '../../shared/sync/sync-objects.ts';
import { withOwnerMarks } from '../../shared/sync/ownership.ts';
import type { LocalCluster } from '../harness/control-plane.ts';
import { toolPath } from '../harness/tools.ts';

export function clientFor(cluster: LocalCluster, restricted = false): KubeClient {
  return new KubeClient({
    server: cluster.server,
    ca: readFileSync(cluster.caFile),
    token: restricted ? cluster.restrictedToken : cluster.adminToken,
  });
}

export function contextFor(
  cluster: LocalCluster,
  app: string,
  namespace: string | undefined,
  options: { restricted?: boolean } = {},
): SyncContext {
  const client = clientFor(cluster, options.restricted);
  return {
    client,
    discovery: new Discovery(client),
    app,
    namespace,
    concurrency: 16,
  };
}

/**
 * One `syncObjects` run of `objects` as application `app` in `namespace` on a
 * local cluster, with a client of its own (closed afterwards), creating the
 * namespace, pruning, adopting nothing and bounding apply and health at the
 * engine's defaults unless `options` says otherwise.
 */
export async function syncOn(
  cluster: LocalCluster,
  app: string,
  namespace: string,
  objects: KubeObject[],
  previous?: Inventory,
  options: Partial<SyncObjectsOptions> & { restricted?: boolean } = {},
) {
  const { restricted, ...syncOptions } = options;
  const ctx = contextFor(cluster, app, namespace, { restricted });
  try {
    return await syncObjects(ctx, asRendered(objects), {
      cluster: cluster.name,
      revision: 'r1',
      previous,
      createNamespace: true,
      adoptExisting: false,
      prune: true,
      healthTimeoutMs: 300_000,
      applyTimeoutMs: 300_000,
      ...syncOptions,
    });
  } finally {
    ctx.client.close();
  }
}

/** Rendered objects as the render stage would give them, sourced from a pretend file. */
export function asRendered(objects: KubeObject[], file = 'manifests.yaml'): RenderedObject[] {
  return objects.map((object, index) => ({
    object: structuredClone(object),
    source: { file, index },
  }));
}

export function configMap(
  name: string,
  data: Record<string, string>,
  extra: Partial<KubeObject['metadata']> = {},
): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, ...extra }, data };
}

/**
 * Runs `kubectl diff --server-side --field-manager=driftless` over the
 * objects as Driftless sends them (ownership marks added, namespace
 * defaulted); resolves to kubectl's output when it reports a difference.
 */
export async function kubectlDiff(
  cluster: LocalCluster,
  app: string,
  namespace: string,
  objects: KubeObject[],
): Promise<{ same: boolean; output: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'driftless-kdiff-'));
  try {
    const file = join(dir, 'objects.json');
    const items = objects.map((o) => {
      const marked = withOwnerMarks(structuredClone(o), app);
      if (
        o.kind !== 'Namespace' &&
        o.kind !== 'CustomResourceDefinition' &&
        o.kind !== 'ClusterRole'
      )
        marked.metadata.namespace ??= namespace;
      return marked;
    });
    writeFileSync(file, JSON.stringify({ apiVersion: 'v1', kind: 'List', items }));
    try {
      await promisify(execFile)(toolPath('kubectl'), [
        '--kubeconfig',
        cluster.kubeconfig,
        'diff',
        '--server-side',
        '--field-manager=driftless',
        '--force-conflicts',
        '-f',
        file,
      ]);
      return { same: true, output: '' };
    } catch (err) {
      const e = err as { code?: number; stdout?: string; stderr?: string };
      if (e.code === 1) return { same: false, output: e.stdout ?? '' };
      throw new Error(`kubectl diff failed: ${e.stderr ?? String(err)}`, { cause: err });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function kubectl(cluster: LocalCluster, ...args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(toolPath('kubectl'), [
    '--kubeconfig',
    cluster.kubeconfig,
    ...args,
  ]);
  return stdout;
}

/** A Deployment of one container; `extra` merges into its spec. */
export function deployment(
  name: string,
  replicas: number,
  extra: Record<string, unknown> = {},
): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] },
      },
      ...extra,
    },
  };
}

/** `data.value` of a live ConfigMap, as the Git fixtures write them (configMapYaml). */
export function configMapValue(
  cluster: LocalCluster,
  namespace: string,
  name: string,
): Promise<string> {
  return kubectl(
    cluster,
    'get',
    'configmap',
    name,
    '-n',
    namespace,
    '-o',
    'jsonpath={.data.value}',
  );
}

/** One data field of a ConfigMap on the cluster; undefined when the ConfigMap does not exist. */
export async function configMapField(
  cluster: LocalCluster,
  namespace: string,
  name: string,
  field: string,
): Promise<string | undefined> {
  try {
    return await kubectl(
      cluster,
      'get',
      'configmap',
      name,
      '-n',
      namespace,
      '-o',
      `jsonpath={.data.${field}}`,
    );
  } catch {
    return undefined;
  }
}

/** A served version of a CRD whose objects may hold any fields. */
export function crdVersion(name: string, storage: boolean): object {
  return {
    name,
    served: true,
    storage,
    schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
  };
}

/** The CRD of a namespaced `Widget` kind in `group`. */
export function widgetCrd(group: string, versions: object[]): KubeObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `widgets.${group}` },
    spec: {
      group,
      scope: 'Namespaced',
      names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
      versions,
    },
  };
}
