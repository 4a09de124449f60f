import type { AppState, RollbackHold, SyncOperation } from '../state/app-state.ts';
import type { SyncResult } from '../sync/result.ts';
import { summarize } from './summarize.ts';

/** What the state needs to know about a run besides its result. */
export interface RunFacts {
  dryRun: boolean;
  startedAt: number;
  hold: RollbackHold | undefined;
  /** The ref the run was asked for (branch, tag or SHA; a chart's version or range). */
  targetRevision: string;
  /** Whether a revision is resolved (a SHA, a chart version, a digest), not a ref or range. */
  pinned: (revision: string) => boolean;
}

function syncStatusOf(previous: AppState | undefined, result: SyncResult): AppState['syncStatus'] {
  if (result.status === 'Synced') return 'Synced';
  // A failure says nothing good about the cluster, whatever the sync before achieved.
  if (result.status === 'Failed') return 'OutOfSync';
  return result.objects.length > 0 || previous ? 'OutOfSync' : 'Unknown';
}

/** The state an application is in after a run: sync status, health, revisions, timings. */
export function nextState(
  previous: AppState | undefined,
  result: SyncResult,
  facts: RunFacts,
): AppState {
  const synced = !facts.dryRun && result.status !== 'Failed';
  const syncedRevision = synced ? result.revision : previous?.syncedRevision;
  const state: AppState = {
    targetRevision: facts.targetRevision,
    // A run that failed before resolving a commit carries the ref instead; a
    // SHA field must never hold a branch name (nor a chart's range).
    desiredRevision: facts.pinned(result.revision) ? result.revision : undefined,
    syncStatus: syncStatusOf(previous, result),
    // The engine reports Unknown when it did not assess health (a failure before it).
    health: result.health.status,
    lastResult: summarize(result),
    timings: {
      startedAt: facts.startedAt,
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
  if (result.status === 'Failed') state.syncReason = 'Failed';
  if (syncedRevision) state.syncedRevision = syncedRevision;
  if (previous?.suspended) state.suspended = previous.suspended;
  if (facts.hold) state.hold = facts.hold;
  if (result.error) state.error = result.error;
  // A result without paths (the source could not be read) keeps the last
  // known ones, so the push that fixes it is still routed.
  const watchPaths = result.watchPaths ?? previous?.watchPaths;
  if (watchPaths?.length) state.watchPaths = watchPaths;
  return state;
}

/**
 * The state written before a sync's first cluster write: the marker of the
 * sync under way. Until its outcome replaces it the application is not known
 * to match anything, so it is OutOfSync with the commit being applied; the
 * last outcome's facts (synced revision, health, result) stay for readers.
 */
export function startedState(
  previous: AppState | undefined,
  operation: SyncOperation,
  targetRevision: string,
): AppState {
  const { syncReason: _reason, ...kept } = previous ?? { syncStatus: 'Unknown', health: 'Unknown' };
  return {
    ...kept,
    targetRevision,
    desiredRevision: operation.revision,
    syncStatus: 'OutOfSync',
    operation,
  };
}

/**
 * The state after a sync that threw once its marker was written (the
 * cluster's connection could not be made, a state write failed): Failed,
 * health not assessed, so the marker does not outlive the run as if it were
 * still going.
 */
export function stoppedState(started: AppState, error: unknown, now: number): AppState {
  // The last result was the sync before's: this one's counts are unknown.
  const { operation, lastResult: _last, ...kept } = started;
  const message = error instanceof Error ? error.message : String(error);
  return {
    ...kept,
    syncStatus: 'OutOfSync',
    syncReason: 'Failed',
    health: 'Unknown',
    error: `sync of ${operation?.revision ?? kept.desiredRevision ?? 'unknown revision'} failed: ${message}`,
    timings: { startedAt: operation?.startedAt ?? now, finishedAt: now },
  };
}
