import type { Application } from './config/application.ts';
import { destinationOf } from './config/destinations.ts';
import type { ClusterConnection } from './kube/client.ts';
import { reconcile, type ReconcileOptions, type ReconcileProgress } from './reconcile.ts';
import { resolveRevision, type SourceOptions } from './source/index.ts';
import type { AppState, RollbackHold, SyncSummary } from './state/app-state.ts';
import { writeState } from './state/app-state.ts';
import type { StateTable } from './state/client.ts';
import type { AppRecord } from './state/head.ts';
import { appendHistory, type JsonValue, type SyncTrigger } from './state/history.ts';
import { readInventory, writeInventory } from './state/inventory-store.ts';
import type { LeaseKeeper } from './state/lease-keeper.ts';
import { DEFAULT_LEASE_TTL_MS } from './state/lease.ts';
import { withLease } from './state/with-lease.ts';
import { putWatchPaths } from './state/registry.ts';
import { bakeAfterSync, judgeBake, rollbackTarget, withBaked } from './rollout/bake.ts';
import type { AlarmSource } from './rollout/alarms.ts';
import type { Inventory } from './sync/inventory.ts';
import type { SyncResult } from './sync/result.ts';
import { objectDigest } from './sync/digest.ts';

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
  /**
   * Where lease, state, inventory and history live. Default: the application's
   * name; one destination of a rollout has its own (`NAME@cluster`).
   */
  stateKey?: string;
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
  /** Lease time-to-live; renewed at a third of it while the sync runs. Default `DEFAULT_LEASE_TTL_MS`. */
  leaseTtlMs?: number;
  /**
   * Aborted when the caller must stop writing to the cluster (a Lambda near
   * its deadline); the engine stops as it does when the lease is lost.
   */
  signal?: AbortSignal;
  onProgress?: (progress: ReconcileProgress) => void;
  /** Where the rollback policy's alarms are read; only apps whose policy names alarms need it. */
  alarms?: AlarmSource;
  /**
   * The commit automated syncs follow, and that a rollback's hold waits to
   * move from, when the caller resolved it already (a rollout decides it for
   * each wave). Default: the head of spec.source.targetRevision.
   */
  head?: string;
  /**
   * The paths the registry routes webhooks on for this application now, when
   * the caller read its registry entry; a reconcile whose render read other
   * paths records them. Default: compared with the paths in the last state.
   */
  registeredWatchPaths?: string[];
}

/** A failed bake rolled the application back within this reconcile. */
export interface AutomatedRollback {
  from: string;
  to: string;
  reason: string;
  /** The sync of `to`. */
  result: SyncResult;
  historySeq?: number;
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
      rollback?: AutomatedRollback;
    };

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
  // A result without paths (the source could not be read) keeps the last
  // known ones, so the push that fixes it is still routed.
  const watchPaths = result.watchPaths ?? previous?.watchPaths;
  if (watchPaths?.length) state.watchPaths = watchPaths;
  return state;
}

function sameList(a: string[] | undefined, b: string[] | undefined): boolean {
  return (a ?? []).join('\n') === (b ?? []).join('\n');
}

/** Digest of what the Application asks for, to notice a changed definition at an unchanged commit. */
function specDigest(app: Application): string {
  return objectDigest(app.spec);
}

/**
 * Nothing to do when the target is the commit last synced, the last sync
 * succeeded and completed, and self-heal does not ask for a drift check: the
 * caller's one `ls-remote`-sized request, no fetch, no cluster call.
 */
function unchangedAt(record: AppRecord, app: Application, revision: string): boolean {
  const state = record.state;
  if (!state || state.operation || state.syncStatus !== 'Synced' || state.error) return false;
  // A baking revision is judged on every reconcile: health comes from the engine.
  if (state.bake && !state.bake.failed) return false;
  if (app.spec.syncPolicy.automated?.selfHeal) return false;
  // Not yet healthy after the last sync: keep looking, so status does not freeze.
  if (state.health !== 'Healthy' && state.health !== 'Suspended') return false;
  if (state.specDigest !== specDigest(app)) return false;
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
  const name = input.stateKey ?? app.metadata.name;
  if (app.spec.suspend && input.mode === 'auto') return { status: 'skipped', reason: 'suspended' };
  const startedAt = Date.now();
  return withLease(
    table,
    name,
    { owner: input.owner, ttlMs: input.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS },
    (record, keeper) => reconcileHeld(input, record, keeper, startedAt),
  );
}

/** What one engine run brought: its result and the history entry it committed. */
interface Run {
  result: SyncResult;
  historySeq?: number;
}

/**
 * Runs the engine once and records what it did: inventory first (if we die
 * after it, the next sync still knows every object this one applied and can
 * prune them), then a history entry unless it was a no-op at the same revision.
 */
async function runEngine(
  input: ReconcileAppInput,
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
  const result = await reconcile(app, {
    cluster: { name: destinationOf(app).cluster, connection: await input.connect() },
    source: input.source,
    previous: run.previous,
    dryRun: run.dryRun,
    ...(run.revision ? { revision: run.revision } : {}),
    ...(input.prune !== undefined ? { prune: input.prune } : {}),
    ...(input.render ? { render: input.render } : {}),
    ...(input.concurrency ? { concurrency: input.concurrency } : {}),
    ...(input.waitForHealth !== undefined ? { waitForHealth: input.waitForHealth } : {}),
    ...(input.onProgress ? { onProgress: input.onProgress } : {}),
    signal: input.signal ? AbortSignal.any([keeper.signal, input.signal]) : keeper.signal,
    ...(run.dryRun
      ? {}
      : {
          beforeApply: async (intent: Inventory) => {
            await writeInventory(table, keeper.current(), intent);
            intentWritten = true;
          },
        }),
  });
  if (run.dryRun) return { result };
  if (intentWritten || JSON.stringify(result.inventory) !== JSON.stringify(run.previous)) {
    await writeInventory(table, keeper.current(), result.inventory);
  }
  const summary = summarize(result);
  if (summary.outcome === 'noop' && result.revision === run.previousRevision) return { result };
  const historySeq = await appendHistory(table, keeper.current(), {
    revision: result.revision,
    source: {
      repoURL: app.spec.source.repoURL,
      path: app.spec.source.path,
      targetRevision: app.spec.source.targetRevision,
    },
    renderOptions: (app.spec.render ?? null) as JsonValue,
    manifestDigest: result.manifestDigest,
    result: summary,
    trigger: run.trigger,
    startedAt,
    finishedAt: Date.now(),
  });
  return { result, historySeq };
}

/**
 * The rollback policy, after a sync that wrote: starts the bake of a new
 * revision, judges a running one (health from this sync, the alarms), and
 * when it fails re-syncs the newest revision whose bake passed and holds the
 * application there. Returns the state to write.
 */
async function watchBake(
  input: ReconcileAppInput,
  keeper: LeaseKeeper,
  previousState: AppState | undefined,
  first: Run,
  synced: AppState,
  branchHead: () => Promise<string>,
): Promise<{ state: AppState; rollback?: AutomatedRollback }> {
  const { app } = input;
  const policy = app.spec.rollback;
  let state = synced;
  let rollback: AutomatedRollback | undefined;
  let baked = previousState?.bakedRevisions ?? [];
  let problem: string | undefined;
  let bake =
    policy && app.spec.syncPolicy.automated
      ? bakeAfterSync(
          policy,
          previousState,
          {
            revision: first.result.revision,
            failed: first.result.status === 'Failed',
            trigger: input.trigger,
          },
          Date.now(),
        )
      : undefined;
  if (policy && bake && !bake.failed && first.result.status !== 'Failed') {
    const verdict = await judgeBake(bake, policy, first.result.health, input.alarms, Date.now());
    if (verdict.kind === 'passed') {
      baked = withBaked(baked, verdict.revision);
      bake = undefined;
    } else if (verdict.kind === 'baking') {
      problem = verdict.problem;
    } else {
      const target = rollbackTarget(baked, verdict.revision);
      if (!target) bake = { ...bake, failed: verdict.reason };
      else {
        bake = undefined;
        const back = await runEngine(input, keeper, {
          revision: target,
          trigger: { kind: 'rollback', by: 'driftless', reason: verdict.reason },
          previous: first.result.inventory,
          previousRevision: state.syncedRevision,
          dryRun: false,
        });
        const reason = `rolled back from ${verdict.revision}: ${verdict.reason}`;
        // Held even if the rollback sync failed: the next reconcile retries the
        // rollback instead of re-applying the revision that went bad.
        state = nextState(state, back.result, false, state.timings?.startedAt ?? Date.now(), {
          revision: back.result.status === 'Failed' ? target : back.result.revision,
          headRevision: await branchHead(),
          by: 'driftless',
          at: Date.now(),
          reason,
          from: verdict.revision,
        });
        rollback = {
          from: verdict.revision,
          to: target,
          reason,
          result: back.result,
          ...(back.historySeq !== undefined ? { historySeq: back.historySeq } : {}),
        };
      }
    }
  }
  if (bake) state.bake = bake;
  if (baked.length > 0) state.bakedRevisions = baked;
  const errors = [
    state.error,
    problem && `rollback policy: ${problem}`,
    bake?.failed &&
      `bake of ${bake.revision} failed (${bake.failed}) but no earlier revision passed its bake: nothing to roll back to`,
  ].filter(Boolean);
  if (errors.length > 0) state.error = errors.join('\n');
  return { state, ...(rollback ? { rollback } : {}) };
}

/** The part of a reconcile that runs while the lease is held. */
async function reconcileHeld(
  input: ReconcileAppInput,
  record: AppRecord,
  keeper: LeaseKeeper,
  startedAt: number,
): Promise<ReconcileAppOutcome> {
  const { table, app } = input;
  const name = input.stateKey ?? app.metadata.name;
  if (input.mode === 'auto' && record.state?.suspended) {
    const { by, at } = record.state.suspended;
    return { status: 'skipped', reason: `suspended by ${by} at ${new Date(at).toISOString()}` };
  }
  // The revision to reconcile: one given (rollback, CLI --revision), the
  // rollback hold's while the branch still points where it did, or the head.
  let revision = input.revision;
  let hold = record.state?.hold;
  let head: string | undefined;
  if (input.mode === 'auto' && !revision) {
    head = input.head ?? (await resolveRevision(app.spec.source, input.source)).revision;
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
  const branchHead = async (): Promise<string> =>
    head ?? input.head ?? (await resolveRevision(app.spec.source, input.source)).revision;
  const previousState = record.state;
  const previous = await readInventory(table, name);
  const dryRun = input.mode === 'diff' || (input.mode === 'auto' && !app.spec.syncPolicy.automated);
  if (!dryRun) {
    await writeState(table, keeper.current(), {
      ...(previousState ?? { syncStatus: 'Unknown', health: 'Unknown' }),
      operation: { revision: revision ?? app.spec.source.targetRevision, startedAt },
    });
  }
  const first = await runEngine(input, keeper, {
    revision,
    trigger: input.trigger,
    previous,
    previousRevision: previousState?.syncedRevision,
    dryRun,
  });
  // A rollback holds even when its own sync failed: the next reconcile then
  // retries the rollback instead of re-applying the head it moved away from.
  if (input.trigger.kind === 'rollback' && !dryRun) {
    const from = previousState?.syncedRevision;
    hold = {
      revision: first.result.revision,
      headRevision: await branchHead(),
      by: input.trigger.by ?? 'unknown',
      at: Date.now(),
      reason:
        input.trigger.reason ??
        `rolled back to ${first.result.revision}${input.trigger.rollbackOf ? ` (history #${input.trigger.rollbackOf})` : ''}`,
      ...(from && from !== first.result.revision ? { from } : {}),
    };
  }
  let state = nextState(previousState, first.result, dryRun, startedAt, hold);

  let rollback: AutomatedRollback | undefined;
  if (!dryRun)
    ({ state, rollback } = await watchBake(input, keeper, previousState, first, state, branchHead));
  else {
    // A dry run judges nothing: a running bake and the baked revisions stay as they were.
    if (previousState?.bake) state.bake = previousState.bake;
    if (previousState?.bakedRevisions) state.bakedRevisions = previousState.bakedRevisions;
  }
  // The skip for an unchanged commit must also see a changed Application
  // (new Helm values, another namespace), so the synced spec is remembered.
  const synced = !dryRun && first.result.status !== 'Failed';
  const spec = synced ? specDigest(app) : previousState?.specDigest;
  if (spec) state.specDigest = spec;
  // Registry first: should this reconcile die before its state is written,
  // the next one finds the paths still unrecorded and writes them again.
  // Only a routing hint, so a failed write keeps the old paths in the state
  // (to be tried again) instead of failing a sync that may have applied.
  if (!sameList(state.watchPaths, input.registeredWatchPaths ?? previousState?.watchPaths)) {
    try {
      await putWatchPaths(table, app.metadata.name, state.watchPaths ?? []);
    } catch {
      if (previousState?.watchPaths) state.watchPaths = previousState.watchPaths;
      else delete state.watchPaths;
    }
  }
  await writeState(table, keeper.current(), state);
  return {
    status: 'done',
    result: first.result,
    ...(first.historySeq !== undefined ? { historySeq: first.historySeq } : {}),
    ...(previousState?.syncedRevision ? { previousRevision: previousState.syncedRevision } : {}),
    ...(rollback ? { rollback } : {}),
  };
}
