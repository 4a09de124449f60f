import type { AppState, RollbackHold } from '../state/app-state.ts';
import type { SyncResult } from '../sync/result.ts';
import { summarize } from './summarize.ts';

/** The state an application is in after a run: sync status, health, revisions, timings. */
export function nextState(
  previous: AppState | undefined,
  result: SyncResult,
  dryRun: boolean,
  startedAt: number,
  hold: RollbackHold | undefined,
): AppState {
  const synced = !dryRun && result.status !== 'Failed';
  const syncedRevision = synced ? result.revision : previous?.syncedRevision;
  const state: AppState = {
    desiredRevision: result.revision,
    syncStatus:
      result.status === 'Synced'
        ? 'Synced'
        : result.objects.length > 0 || previous
          ? 'OutOfSync'
          : 'Unknown',
    health: result.health.status,
    lastResult: summarize(result),
    timings: {
      startedAt,
      finishedAt: Date.now(),
      phasesMs: {
        source: result.timings.sourceMs,
        render: result.timings.renderMs,
        diff: result.timings.diffMs,
        apply: result.timings.applyMs,
        prune: result.timings.pruneMs,
        health: result.timings.healthMs,
      },
    },
  };
  if (syncedRevision) state.syncedRevision = syncedRevision;
  if (previous?.suspended) state.suspended = previous.suspended;
  if (hold) state.hold = hold;
  if (result.error) state.error = result.error;
  // A result without paths (the source could not be read) keeps the last
  // known ones, so the push that fixes it is still routed.
  const watchPaths = result.watchPaths ?? previous?.watchPaths;
  if (watchPaths?.length) state.watchPaths = watchPaths;
  return state;
}
