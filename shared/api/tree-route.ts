import { readInventory } from '../state/inventory-store.ts';
import { resolveDestination } from './destination.ts';
import { ownerTree } from './owner-tree.ts';
import { isResponse, ok } from './respond.ts';
import type { ApiResponse, AppRoute } from './types.ts';

/**
 * `GET /apps/NAME/tree`: the objects of the last sync's inventory as they
 * are live, with the ReplicaSets and Pods they own, arranged by owner
 * references. Without an inventory (never synced) the tree is empty.
 */
export async function treeApp(route: AppRoute): Promise<ApiResponse> {
  const destination = resolveDestination(route);
  if (isResponse(destination)) return destination;
  const inventory = await readInventory(route.deps.table, destination.stateKey);
  const objects = inventory?.entries.length
    ? await route.deps.liveObjects({
        ...destination,
        inventory: inventory.entries.map(({ apiVersion, kind, namespace, name }) => ({
          apiVersion,
          kind,
          ...(namespace ? { namespace } : {}),
          name,
        })),
      })
    : [];
  return ok({
    app: route.name,
    cluster: destination.cluster.metadata.name,
    revision: inventory?.revision ?? null,
    tree: ownerTree(objects),
  });
}
