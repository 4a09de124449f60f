import type { AppState } from '../state/app-state.ts';
import type { SyncResult } from '../sync/result.ts';
import { driftedObjects, keptDrift } from './drifted-objects.ts';

/**
 * The state after a drift check (a dry run at the synced revision). Only
 * what the check observes changes: sync status, health and the drift (a
 * failed check observes nothing: both become Unknown); the
 * last sync's summary, timings and revisions stay, so an unchanged app gives
 * an unchanged state and the caller can skip the write. `driftedSince` is
 * kept while the drift lasts and removed when the cluster matches again,
 * whoever fixed it.
 */
export function driftState(previous: AppState, result: SyncResult, now: number): AppState {
  const {
    driftedSince: _since,
    drifted: _drifted,
    driftedCount: _count,
    checkError: _error,
    ...settled
  } = previous;
  if (result.status === 'Failed') {
    // The drift known before stands, with why the check failed; but nobody
    // looked at the cluster, so neither Synced nor the last health holds.
    return {
      ...previous,
      syncStatus: previous.driftedSince === undefined ? 'Unknown' : 'OutOfSync',
      health: 'Unknown',
      checkError: result.error ?? 'drift check failed',
    };
  }
  const state: AppState = { ...settled, health: result.health.status };
  const drifted = driftedObjects(result.objects);
  if (drifted.length === 0) {
    const { syncReason: _reason, ...matching } = state;
    return { ...matching, syncStatus: 'Synced' };
  }
  return {
    ...state,
    syncStatus: 'OutOfSync',
    driftedSince: previous.driftedSince ?? now,
    ...keptDrift(drifted),
  };
}
