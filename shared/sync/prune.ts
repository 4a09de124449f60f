import { mapLimit } from '../util/map-limit.ts';
import { describeRef, objectKey } from '../kube/object.ts';
import { deleteObject } from '../kube/operations.ts';
import type { SyncContext } from './context.ts';
import { staleResultWithContents } from './contents-result.ts';
import { staleResult } from './object-results.ts';
import type { SyncObjectsOptions } from './options.ts';
import { orderBatches, waveOf } from './order.ts';
import { markFailed, type SyncOutcome } from './outcome.ts';
import type { SyncPlan } from './plan.ts';
import type { StaleObject } from './stale.ts';

/**
 * Deletes the prunable stale objects when prune is on and nothing has failed
 * so far, and reports every stale object. One not deleted stays in the
 * inventory, so that a later sync can still prune it.
 */
export async function prune(
  ctx: SyncContext,
  options: SyncObjectsOptions,
  plan: SyncPlan,
  outcome: SyncOutcome,
): Promise<void> {
  const started = Date.now();
  // Decided once: a delete failing part-way must not relabel the deletes that did happen.
  const pruneRan = outcome.status !== 'Failed' && Boolean(options.prune);
  const prunable = plan.stale.filter((s) => s.prune);
  let failures = new Map<StaleObject, string>();
  if (pruneRan && prunable.length) {
    options.onProgress?.({
      phase: 'prune',
      message: `pruning ${prunable.length} object(s) removed from the source`,
    });
    failures = await pruneStale(ctx, prunable);
  }
  for (const s of plan.stale) {
    recordStale(outcome, s, failures.get(s), pruneRan, Boolean(options.prune));
  }
  outcome.timings.pruneMs = Date.now() - started;
}

function recordStale(
  outcome: SyncOutcome,
  s: StaleObject,
  failure: string | undefined,
  pruneRan: boolean,
  pruneOn: boolean,
): void {
  if (failure) {
    outcome.inventory.set(objectKey(s.entry), s.entry);
    outcome.objects.push({ ...staleResult(s, false), action: 'Failed', message: failure });
    markFailed(outcome, 'prune', failure);
  } else if ((s.prune && !pruneRan) || s.keep) {
    outcome.inventory.set(objectKey(s.entry), s.entry);
    outcome.objects.push({
      ...staleResultWithContents(s, false, false),
      message:
        s.message ??
        `${describeRef(s.entry)} is no longer in the source; ${pruneOn ? 'not pruned: the sync failed' : 'prune is off'}`,
    });
    if (outcome.status === 'Synced') outcome.status = 'OutOfSync';
  } else {
    outcome.objects.push(staleResultWithContents(s, s.prune, true));
  }
}

/** Why a run told to stop (lost lease, a deadline) deletes nothing more, if it was. */
function stopReason(ctx: SyncContext): string | undefined {
  if (!ctx.signal?.aborted) return undefined;
  const reason = ctx.signal.reason as Error | undefined;
  return `the sync was stopped: ${reason?.message ?? String(ctx.signal.reason)}`;
}

/**
 * Deletes in reverse apply order, dependents before what they depend on;
 * why each delete that failed did. A run told to stop deletes nothing more:
 * the objects left are reported, not thrown away, so they stay in the
 * inventory for a later sync to prune.
 */
async function pruneStale(
  ctx: SyncContext,
  prunable: StaleObject[],
): Promise<Map<StaleObject, string>> {
  const batches = orderBatches(
    prunable,
    (s) => s.live!,
    (s) => {
      try {
        return waveOf(s.live!);
      } catch {
        return 0;
      }
    },
  ).reverse();
  const failures = new Map<StaleObject, string>();
  const notPruned = (s: StaleObject, why: string): void => {
    failures.set(s, `${describeRef(s.entry)}: not pruned: ${why}`);
  };
  for (const batch of batches) {
    await mapLimit(
      batch.items,
      ctx.concurrency,
      async (s) => {
        try {
          await deleteObject(ctx.client, s.info!, s.entry.namespace, s.entry.name, {
            uid: s.live?.metadata.uid,
          });
        } catch (err) {
          failures.set(s, `${describeRef(s.entry)}: prune failed: ${(err as Error).message}`);
        }
      },
      { stop: () => stopReason(ctx) !== undefined, skipped: (s) => notPruned(s, stopReason(ctx)!) },
    );
  }
  return failures;
}
