import type { RollbackHold } from '../state/app-state.ts';
import type { SyncTrigger } from '../state/history.ts';
import type { SyncResult } from '../sync/result.ts';

/**
 * The hold a rollback leaves: automated syncs stay at its revision while the
 * branch points where it did. Held even when the rollback's own sync failed,
 * so the next reconcile retries the rollback instead of re-applying the head
 * it moved away from.
 */
export async function holdAfterRollback(
  trigger: SyncTrigger,
  result: SyncResult,
  syncedBefore: string | undefined,
  branchHead: () => Promise<string>,
): Promise<RollbackHold> {
  const from = syncedBefore && syncedBefore !== result.revision ? syncedBefore : undefined;
  const history = trigger.rollbackOf ? ` (history #${trigger.rollbackOf})` : '';
  return {
    revision: result.revision,
    headRevision: await branchHead(),
    by: trigger.by ?? 'unknown',
    at: Date.now(),
    reason: trigger.reason ?? `rolled back to ${result.revision}${history}`,
    from,
  };
}
