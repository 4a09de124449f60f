import { destinationOf } from '../config/destinations.ts';
import { reconcile } from '../engine/reconcile.ts';
import { runTimeout } from '../engine/settings.ts';
import { primarySource, targetRevisionOf } from '../config/sources.ts';
import { appendHistory, type JsonValue, type SyncTrigger } from '../state/history.ts';
import { writeInventory } from '../state/inventory-store.ts';
import type { LeaseKeeper } from '../state/lease-keeper.ts';
import { sameInventory, type Inventory } from '../sync/inventory.ts';
import type { SyncResult } from '../sync/result.ts';
import { summarize } from './summarize.ts';
import type { AppRunInput } from './types.ts';

/** Time after the engine's deadline for writing inventory, history and state. */
const STATE_WRITES_MS = 30_000;

/** What one engine run brought: its result and the history entry it committed. */
export interface Run {
  result: SyncResult;
  historySeq?: number;
}

/**
 * Runs the engine once and records what it did: inventory first (if we die
 * after it, the next sync still knows every object this one applied and can
 * prune them), then a history entry unless it was a no-op at the same revision.
 */
export async function recordRun(
  input: AppRunInput,
  keeper: LeaseKeeper,
  run: {
    revision: string | undefined;
    trigger: SyncTrigger;
    previous: Inventory | undefined;
    previousRevision: string | undefined;
    dryRun: boolean;
  },
): Promise<Run> {
  const { table, app } = input;
  const startedAt = Date.now();
  let intentWritten = false;
  // The engine ends by its deadline; past it (and the state writes after it)
  // the run is stuck where the deadline does not reach, and lets its lease go.
  const request = { ...input.request, revision: run.revision, dryRun: run.dryRun };
  const limit = runTimeout(request, app.spec.healthTimeout, input.settings);
  keeper.holdUntil(startedAt + limit.ms + STATE_WRITES_MS);
  const result = await reconcile(app, {
    cluster: { name: destinationOf(app).cluster, connection: await input.connect() },
    settings: input.settings,
    project: input.project,
    request,
    previous: run.previous,
    onProgress: input.onProgress,
    signal: input.signal ? AbortSignal.any([keeper.signal, input.signal]) : keeper.signal,
    beforeApply: run.dryRun
      ? undefined
      : async (intent: Inventory) => {
          await writeInventory(table, keeper.current(), intent);
          intentWritten = true;
        },
  });
  if (run.dryRun) return { result };
  if (intentWritten || !sameInventory(result.inventory, run.previous)) {
    await writeInventory(table, keeper.current(), result.inventory);
  }
  const summary = summarize(result);
  if (summary.outcome === 'noop' && result.revision === run.previousRevision) return { result };
  const historySeq = await appendHistory(table, keeper.current(), {
    revision: result.revision,
    source: {
      repoURL: primarySource(app).repoURL,
      path: primarySource(app).path,
      targetRevision: targetRevisionOf(app),
    },
    renderOptions: (app.spec.render ?? null) as JsonValue,
    manifestDigest: result.manifestDigest,
    result: summary,
    trigger: run.trigger,
    ...(result.hooks.length
      ? {
          hooks: result.hooks.map(({ ref, phase, status, message }) => ({
            ref,
            phase,
            status,
            ...(message ? { message } : {}),
          })),
        }
      : {}),
    startedAt,
    finishedAt: Date.now(),
  });
  return { result, historySeq };
}
