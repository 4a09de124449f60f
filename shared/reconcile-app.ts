import type { Application } from './config/application.ts';
import type { ClusterConnection } from './kube/client.ts';
import { reconcile, type ReconcileOptions, type ReconcileProgress } from './reconcile.ts';
import { resolveRevision, type SourceOptions } from './source/index.ts';
import type { AppState, RollbackHold, SyncSummary } from './state/app-state.ts';
import { writeState } from './state/app-state.ts';
import type { StateTable } from './state/client.ts';
import { LeaseLostError } from './state/errors.ts';
import type { AppRecord } from './state/head.ts';
import { appendHistory, type JsonValue, type SyncTrigger } from './state/history.ts';
import { readInventory, writeInventory } from './state/inventory-store.ts';
import { keepLeaseAlive, type LeaseKeeper } from './state/lease-keeper.ts';
import { acquireLease, releaseLease } from './state/lease.ts';
import type { SyncResult } from './sync/result.ts';

/**
 * - auto: what a schedule or webhook does, following the app's syncPolicy
 *   (sync when automated, otherwise only record drift);
 * - sync: apply now, whatever the policy (CLI `sync`, API "sync now", rollback);
 * - diff: compare and record, write nothing to the cluster.
 */
export type ReconcileMode = 'auto' | 'sync' | 'diff';

export interface ReconcileAppInput {
  table: StateTable;
  app: Application;
  /** Resolved only when the cluster is actually needed. */
  connect: () => Promise<ClusterConnection>;
  /** Unique per attempt (a Lambda request id, a CLI run id): the lease owner. */
  owner: string;
  trigger: SyncTrigger;
  mode: ReconcileMode;
  /** Sync this revision instead of the spec's target (rollback). */
  revision?: string;
  /** Override the app's prune policy (CLI `--prune`). */
  prune?: boolean;
  source: SourceOptions;
  render?: ReconcileOptions['render'];
  concurrency?: number;
  /** Wait for the applied objects to become healthy. Default true. */
  waitForHealth?: boolean;
  /** Lease time-to-live; renewed at a third of it while the sync runs. Default 60 s. */
  leaseTtlMs?: number;
  onProgress?: (progress: ReconcileProgress) => void;
}

export type ReconcileAppOutcome =
  | { status: 'busy'; holder?: string; retryAfterMs: number }
  | { status: 'skipped'; reason: string; revision?: string }
  | {
      status: 'done';
      result: SyncResult;
      historySeq?: number;
      /** The revision synced before this reconcile: tells a drift repair from a new commit. */
      previousRevision?: string;
    };

export function summarize(result: SyncResult): SyncSummary {
  const applied = result.counts.Created + result.counts.Configured;
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
    ...(result.error ? { message: result.error } : {}),
  };
}

function nextState(
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
  return state;
}

/**
 * Nothing to do when the target is the commit last synced, the last sync
 * succeeded and completed, and self-heal does not ask for a drift check: the
 * caller's one `ls-remote`-sized request, no fetch, no cluster call.
 */
function unchangedAt(record: AppRecord, app: Application, revision: string): boolean {
  const state = record.state;
  if (!state || state.operation || state.syncStatus !== 'Synced' || state.error) return false;
  if (app.spec.syncPolicy.automated?.selfHeal) return false;
  return revision === state.syncedRevision && record.inventory?.revision === revision;
}

/**
 * One reconcile of one application with its state: takes the lease (or
 * reports busy), skips cheaply when nothing changed, runs the engine, and
 * records inventory, history and state under the lease's fencing token, so
 * a reconciler that lost its lease cannot overwrite a newer one's work.
 */
export async function reconcileApp(input: ReconcileAppInput): Promise<ReconcileAppOutcome> {
  const { table, app } = input;
  const name = app.metadata.name;
  if (app.spec.suspend && input.mode === 'auto') return { status: 'skipped', reason: 'suspended' };
  const ttlMs = input.leaseTtlMs ?? 60_000;
  const acquired = await acquireLease(table, name, { owner: input.owner, ttlMs });
  if (acquired.status === 'busy') return acquired;
  const keeper = keepLeaseAlive(table, acquired.lease, {
    ttlMs,
    intervalMs: Math.floor(ttlMs / 3),
  });
  const startedAt = Date.now();
  let outcome: ReconcileAppOutcome;
  try {
    outcome = await reconcileHeld(input, acquired.record, keeper, startedAt);
  } catch (err) {
    await keeper.stop();
    // The failure matters more than a failed release; the lease expires anyway.
    await releaseLease(table, keeper.current()).catch(() => undefined);
    throw err;
  }
  await keeper.stop();
  try {
    await releaseLease(table, keeper.current());
  } catch (err) {
    // A lost lease needs no release; anything else is worth surfacing.
    if (!(err instanceof LeaseLostError)) throw err;
  }
  return outcome;
}

/** The part of a reconcile that runs while the lease is held. */
async function reconcileHeld(
  input: ReconcileAppInput,
  record: AppRecord,
  keeper: LeaseKeeper,
  startedAt: number,
): Promise<ReconcileAppOutcome> {
  const { table, app } = input;
  const name = app.metadata.name;
  if (input.mode === 'auto' && record.state?.suspended) {
    const { by, at } = record.state.suspended;
    return { status: 'skipped', reason: `suspended by ${by} at ${new Date(at).toISOString()}` };
  }
  // The revision to reconcile: one given (rollback, CLI --revision), the
  // rollback hold's while the branch still points where it did, or the head.
  let revision = input.revision;
  let hold = record.state?.hold;
  if (input.mode === 'auto' && !revision) {
    const head = (await resolveRevision(app.spec.source, input.source)).revision;
    if (hold && head === hold.headRevision) revision = hold.revision;
    else {
      hold = undefined;
      revision = head;
    }
    if (unchangedAt(record, app, revision)) {
      return {
        status: 'skipped',
        reason: hold ? `held at ${revision} after a rollback` : 'unchanged',
        revision,
      };
    }
  } else if (input.mode === 'sync') {
    // A sync someone asked for (or a rollback, which sets its own hold below) replaces any hold.
    hold = undefined;
  }
  const previousState = record.state;
  const previous = await readInventory(table, name);
  const dryRun = input.mode === 'diff' || (input.mode === 'auto' && !app.spec.syncPolicy.automated);
  if (!dryRun) {
    await writeState(table, keeper.current(), {
      ...(previousState ?? { syncStatus: 'Unknown', health: 'Unknown' }),
      operation: { revision: revision ?? app.spec.source.targetRevision, startedAt },
    });
  }
  const result = await reconcile(app, {
    cluster: { name: app.spec.destination.cluster, connection: await input.connect() },
    source: input.source,
    previous,
    dryRun,
    ...(revision ? { revision } : {}),
    ...(input.prune !== undefined ? { prune: input.prune } : {}),
    ...(input.render ? { render: input.render } : {}),
    ...(input.concurrency ? { concurrency: input.concurrency } : {}),
    ...(input.waitForHealth !== undefined ? { waitForHealth: input.waitForHealth } : {}),
    ...(input.onProgress ? { onProgress: input.onProgress } : {}),
  });
  let historySeq: number | undefined;
  if (!dryRun) {
    // Inventory first: if we die after it, the next sync still knows every
    // object this one applied and can prune them.
    if (JSON.stringify(result.inventory) !== JSON.stringify(previous)) {
      await writeInventory(table, keeper.current(), result.inventory);
    }
    const summary = summarize(result);
    if (summary.outcome !== 'noop' || result.revision !== previousState?.syncedRevision) {
      historySeq = await appendHistory(table, keeper.current(), {
        revision: result.revision,
        source: {
          repoURL: app.spec.source.repoURL,
          path: app.spec.source.path,
          targetRevision: app.spec.source.targetRevision,
        },
        renderOptions: (app.spec.render ?? null) as JsonValue,
        manifestDigest: result.manifestDigest,
        result: summary,
        trigger: input.trigger,
        startedAt,
        finishedAt: Date.now(),
      });
    }
  }
  if (input.trigger.kind === 'rollback' && !dryRun && result.status !== 'Failed') {
    hold = {
      revision: result.revision,
      headRevision: (await resolveRevision(app.spec.source, input.source)).revision,
      by: input.trigger.by ?? 'unknown',
      at: Date.now(),
      reason: `rolled back to ${result.revision}${input.trigger.rollbackOf ? ` (history #${input.trigger.rollbackOf})` : ''}`,
    };
  }
  await writeState(
    table,
    keeper.current(),
    nextState(previousState, result, dryRun, startedAt, hold),
  );
  return {
    status: 'done',
    result,
    ...(historySeq !== undefined ? { historySeq } : {}),
    ...(previousState?.syncedRevision ? { previousRevision: previousState.syncedRevision } : {}),
  };
}
