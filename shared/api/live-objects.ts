import type { Cluster } from '../config/cluster.ts';
import { assessHealth } from '../health/assess.ts';
import { KubeClient, type ClusterConnection } from '../kube/client.ts';
import type { ClusterIdentity } from '../kube/connect.ts';
import { Discovery } from '../kube/discovery.ts';
import { KubeApiError } from '../kube/errors.ts';
import type { KubeObject, ObjectRef } from '../kube/object.ts';
import { getObject, listObjects } from '../kube/operations.ts';
import { identityTarget, projectIdentity, type ProjectRoles } from '../project/identity.ts';
import { mapLimit } from '../util/map-limit.ts';
import type { ApiDeps, LiveObject } from './types.ts';

// Objects that children are read for: Deployments own ReplicaSets, which own
// Pods, as StatefulSets, DaemonSets and Jobs do.
const CHILD_KINDS = [
  { apiVersion: 'apps/v1', kind: 'ReplicaSet' },
  { apiVersion: 'v1', kind: 'Pod' },
];
const PARENT_KINDS = new Set(['Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet', 'Job']);
const GETS_IN_FLIGHT = 8;

function describe(object: KubeObject): LiveObject {
  const m = object.metadata;
  const owners = (m.ownerReferences as { uid?: string }[] | undefined) ?? [];
  return {
    apiVersion: object.apiVersion,
    kind: object.kind,
    ...(m.namespace ? { namespace: m.namespace } : {}),
    name: m.name ?? '',
    live: true,
    ...(m.uid ? { uid: m.uid } : {}),
    owners: owners.flatMap((o) => (o.uid ? [o.uid] : [])),
    health: assessHealth(object),
    ...(typeof m.creationTimestamp === 'string' ? { createdAt: m.creationTimestamp } : {}),
  };
}

/** Reads every object of `refs`; a missing one (or one of a kind the server does not serve) is `live: false`. */
async function readRefs(
  client: KubeClient,
  discovery: Discovery,
  refs: ObjectRef[],
): Promise<LiveObject[]> {
  return mapLimit(refs, GETS_IN_FLIGHT, async (ref) => {
    const info = await discovery.find(ref.apiVersion, ref.kind);
    const object = info && (await getObject(client, info, ref.namespace, ref.name));
    if (object) return describe({ ...object, apiVersion: ref.apiVersion, kind: ref.kind });
    return { ...ref, live: false, owners: [], health: { status: 'Missing' } };
  });
}

/**
 * The ReplicaSets and Pods of `namespaces` whose owner chain reaches one of
 * `roots`: one list per kind and namespace, however many workloads there are.
 * A project allowed to read its objects but not to list Pods gets no children.
 */
async function readChildren(
  client: KubeClient,
  discovery: Discovery,
  namespaces: string[],
  roots: Set<string>,
): Promise<LiveObject[]> {
  const found: LiveObject[] = [];
  for (const child of CHILD_KINDS) {
    const info = await discovery.find(child.apiVersion, child.kind);
    if (!info) continue;
    for (const namespace of namespaces) {
      let items: KubeObject[];
      try {
        items = await listObjects(client, info, namespace);
      } catch (err) {
        if (err instanceof KubeApiError && err.forbidden) continue;
        throw err;
      }
      for (const item of items.map(describe)) {
        if (!item.owners.some((uid) => roots.has(uid))) continue;
        found.push(item);
        if (item.uid) roots.add(item.uid);
      }
    }
  }
  return found;
}

/**
 * The API's live objects of one destination, read as the application's
 * project there (what a project may not read stays out, as in its diffs).
 */
export function liveObjects(
  connect: (cluster: Cluster, identity: ClusterIdentity) => Promise<ClusterConnection>,
  roles: ProjectRoles = {},
): ApiDeps['liveObjects'] {
  return async ({ app, cluster, project, inventory }) => {
    const identity = projectIdentity(project, identityTarget(app, cluster), roles);
    const client = new KubeClient(await connect(cluster, identity), { retries: 2 });
    try {
      const discovery = new Discovery(client);
      const own = await readRefs(client, discovery, inventory);
      const parents = own.filter((o) => o.live && o.uid && PARENT_KINDS.has(o.kind));
      const namespaces = [...new Set(parents.flatMap((o) => (o.namespace ? [o.namespace] : [])))];
      const roots = new Set(parents.map((o) => o.uid!));
      return [...own, ...(await readChildren(client, discovery, namespaces, roots))];
    } finally {
      client.close();
    }
  };
}
