import { chooseDestination, isRollout } from '../config/destinations.ts';
import { destinationHistories } from '../rollout/destination-states.ts';
import { listHistory } from '../state/history.ts';
import { readInventory } from '../state/inventory-store.ts';
import { registeredProject } from '../state/registry.ts';
import { appSummary } from './app-summary.ts';
import { error, ok } from './respond.ts';
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
export async function diffApp({ req, deps, entry, name }: AppRoute): Promise<ApiResponse> {
  if (!entry.app) return error(409, `application ${name} is disabled: ${entry.error}`);
  const choice = chooseDestination(
    entry.app,
    req.query?.destination,
    'ask for one with ?destination=CLUSTER',
  );
  if (!choice.ok) return error(400, choice.message);
  const cluster = isRollout(entry.app)
    ? entry.clusters?.find((c) => c.metadata.name === choice.cluster)
    : entry.cluster;
  const project = registeredProject(entry);
  if (!cluster || !project)
    return error(409, `application ${name} is disabled: ${entry.error ?? 'not registered yet'}`);
  const previous = await readInventory(deps.table, choice.stateKey);
  return ok(await deps.diff({ app: choice.app, cluster, project, previous }));
}
