import type { SyncSummary } from '../state/app-state.ts';
import type { SyncResult } from '../sync/result.ts';

/** What a run did, as kept in state and history: outcome, counts and the error. */
export function summarize(result: SyncResult): SyncSummary {
  const applied = result.counts.Created + result.counts.Configured;
  if (result.dryRun) {
    // Drift only recorded: nothing was applied, whatever would have been.
    const pending = applied + result.counts.Pruned;
    return {
      outcome: result.status === 'Failed' ? 'failed' : 'noop',
      applied: 0,
      pruned: 0,
      unchanged: result.counts.Unchanged,
      ...(result.error
        ? { message: result.error }
        : pending > 0
          ? { message: `${pending} change(s) not applied: automated sync is off` }
          : {}),
    };
  }
  return {
    outcome:
      result.status === 'Failed'
        ? 'failed'
        : applied + result.counts.Pruned === 0
          ? 'noop'
          : 'succeeded',
    applied,
    pruned: result.counts.Pruned,
    unchanged: result.counts.Unchanged,
    message: result.error,
  };
}
