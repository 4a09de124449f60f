import { isRollout } from '../config/destinations.ts';
import { destinationHistories } from '../rollout/destination-states.ts';
import { listHistory } from '../state/history.ts';
import { readInventory } from '../state/inventory-store.ts';
import { appSummary } from './app-summary.ts';
import { resolveDestination } from './destination.ts';
import { isResponse, ok } from './respond.ts';
import type { ApiResponse, AppRoute } from './types.ts';

export async function showApp({ deps, entry }: AppRoute): Promise<ApiResponse> {
  return ok(await appSummary(deps, entry));
}

export async function showHistory({ deps, entry, name }: AppRoute): Promise<ApiResponse> {
  if (entry.app && isRollout(entry.app))
    return ok({ app: name, destinations: await destinationHistories(deps.table, entry.app) });
  return ok({ app: name, history: await listHistory(deps.table, name) });
}

/** A dry run of one destination against its last inventory: what a sync would change now. */
export async function diffApp(route: AppRoute): Promise<ApiResponse> {
  const destination = resolveDestination(route);
  if (isResponse(destination)) return destination;
  const { app, cluster, project, stateKey } = destination;
  const previous = await readInventory(route.deps.table, stateKey);
  return ok(await route.deps.diff({ app, cluster, project, previous }));
}
