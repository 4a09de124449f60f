import { mapLimit } from '../util/map-limit.ts';
import type { KubeObject } from '../kube/object.ts';
import { listObjects } from '../kube/operations.ts';
import type { SyncContext } from './context.ts';
import type { DesiredObject } from './prepare.ts';

// From this many objects of one kind in one namespace, one list is cheaper
// than a GET each: a first sync of 1,000 objects makes a handful of requests
// instead of 1,000 (each of which the API server answers about as fast as a
// small list).
const LIST_FROM = 8;

/**
 * The live objects of many desired objects, read with one list per kind and
 * namespace, keyed by object key; an object in the map as `undefined` does
 * not exist. Objects left out of the map (cluster-scoped kinds, whose lists
 * may be large; small groups; a list the server refused, e.g. for lack of
 * list permission) are to be read one by one.
 */
export async function readLiveInBulk(
  ctx: SyncContext,
  desired: DesiredObject[],
): Promise<Map<string, KubeObject | undefined>> {
  const groups = new Map<string, DesiredObject[]>();
  for (const d of desired) {
    if (!d.info?.namespaced || !d.ref.namespace) continue;
    const key = `${d.object.apiVersion}|${d.object.kind}|${d.ref.namespace}`;
    groups.set(key, [...(groups.get(key) ?? []), d]);
  }
  const live = new Map<string, KubeObject | undefined>();
  const large = [...groups.values()].filter((group) => group.length >= LIST_FROM);
  await mapLimit(large, ctx.concurrency, async (group) => {
    const first = group[0] as DesiredObject;
    let items: KubeObject[];
    try {
      items = await listObjects(ctx.client, first.info!, first.ref.namespace);
    } catch {
      return;
    }
    const byName = new Map(items.map((o) => [o.metadata.name, o]));
    for (const d of group) live.set(d.key, byName.get(d.ref.name));
  });
  return live;
}
