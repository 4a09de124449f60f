import { isRollout } from '../config/destinations.ts';
import { destinationStates } from '../rollout/destination-states.ts';
import { readApp, shownState, type AppRecord } from '../state/head.ts';
import type { RegistryEntry } from '../state/registry.ts';
import type { ApiDeps } from './types.ts';
import { primarySource, targetRevisionOf } from '../config/sources.ts';

/**
 * One application as the list and show routes return it: its definition's
 * essentials and its state. The list passes `record` (read with the others in
 * one batch); `null` means it has none.
 */
export async function appSummary(
  deps: ApiDeps,
  entry: RegistryEntry,
  known?: AppRecord | null,
): Promise<Record<string, unknown>> {
  const record = known === undefined ? await readApp(deps.table, entry.name) : (known ?? undefined);
  const now = (deps.now ?? Date.now)();
  const app = entry.app;
  return {
    name: entry.name,
    file: entry.file,
    project: app?.spec.project,
    cluster: app?.spec.destination?.cluster,
    namespace: app?.spec.destination?.namespace,
    destinations: app && isRollout(app) ? await destinationStates(deps.table, app) : undefined,
    repoURL: app && primarySource(app).repoURL,
    path: app && primarySource(app).path,
    targetRevision: app && targetRevisionOf(app),
    automated: app ? Boolean(app.spec.syncPolicy.automated) : undefined,
    disabled: entry.error,
    // An interrupted sync shows as such, not as the outcome of the sync before it.
    state: shownState(record, now) ?? null,
    syncing: Boolean(record?.lease && record.lease.expiresAt > now),
  };
}
