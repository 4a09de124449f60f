import { forDestination } from '../config/destinations.ts';
import { setSuspended } from '../control/suspend.ts';
import { severity } from '../health/status.ts';
import type { ClusterConnection } from '../kube/client.ts';
import { runApplication } from '../app-run/run-application.ts';
import { type AppRunInput, type AppRunOutcome } from '../app-run/types.ts';
import { resolveApplicationRevision } from '../engine/app-revision.ts';
import {
  writeState,
  type AppState,
  type RollbackHold,
  type RolloutStep,
} from '../state/app-state.ts';
import type { SyncTrigger } from '../state/history.ts';
import type { LeaseKeeper } from '../state/lease-keeper.ts';
import { withLease } from '../state/with-lease.ts';
import { destinationStates } from './destination-states.ts';
import { planRollout, passed, recordStep, type DestinationView, type WaveAction } from './waves.ts';

export interface RolloutInput extends Omit<AppRunInput, 'connect' | 'stateKey' | 'head'> {
  /** How to reach one destination's cluster, by its name. */
  connect: (cluster: string) => Promise<ClusterConnection>;
}

/** One destination's reconcile within a reconcile of the rollout. */
export interface DestinationRun {
  cluster: string;
  wave: number;
  key: string;
  /** What the rollout decided for it; absent for a sync or diff someone asked for. */
  action?: WaveAction;
  trigger: SyncTrigger;
  outcome: AppRunOutcome;
}

export type RolloutOutcome =
  | { status: 'busy'; holder?: string; retryAfterMs: number }
  | { status: 'skipped'; reason: string }
  | { status: 'done'; runs: DestinationRun[]; step?: RolloutStep };

/**
 * One reconcile of an application with several destinations (a progressive
 * rollout). Each destination is an application on one cluster with its own
 * lease, state, inventory, history and bake, under `NAME@cluster`: this
 * function only decides which revision each may move to and runs them.
 *
 * Automated reconciles hold the application's own lease (`NAME`) while they
 * decide and run, so two never coordinate at once, and keep the rollout
 * record on its head item: per revision, the highest wave it reached and
 * whether it is progressing, complete or rolled back. The record's hold
 * (`stopped`) is the rollout's rollback hold: while the branch still points
 * at the revision that failed, no wave takes it; a newer commit lifts it, and
 * so does `resume NAME`, which also lifts the destinations' own holds.
 *
 * A sync or diff someone asks for goes to every destination at once: a
 * person asking for it overrides the waves.
 */
export async function reconcileRollout(input: RolloutInput): Promise<RolloutOutcome> {
  const { table, app } = input;
  if (input.mode !== 'auto') {
    const views = await destinationStates(table, app);
    const runs = await Promise.all(views.map((v) => runDestination(input, v, input.trigger)));
    return { status: 'done', runs };
  }
  if (app.spec.suspend) return { status: 'skipped', reason: 'suspended' };
  return withLease(
    table,
    app.metadata.name,
    { owner: input.owner, ttlMs: input.settings.leaseTtlMs },
    (record, keeper) => coordinate(input, record.state, keeper),
  );
}

async function coordinate(
  input: RolloutInput,
  state: AppState | undefined,
  keeper: LeaseKeeper,
): Promise<RolloutOutcome> {
  const { table, app } = input;
  if (state?.suspended) {
    const { by, at } = state.suspended;
    return { status: 'skipped', reason: `suspended by ${by} at ${new Date(at).toISOString()}` };
  }
  const startedAt = Date.now();
  const head = (await resolveApplicationRevision(app, input.settings.source)).revision;
  const baking = Boolean(app.spec.rollback && app.spec.syncPolicy.automated);
  let stopped = state?.hold?.headRevision === head ? state.hold : undefined;
  let views = await destinationStates(table, app);
  const failedAt = (v: DestinationView) =>
    v.state?.hold?.headRevision === head && v.state.hold.from === head;
  if (!stopped) {
    const step = state?.rollout?.find((s) => s.revision === head);
    if (step?.status === 'RolledBack') {
      // A person resumed the application: its destinations' holds go too.
      for (const v of views.filter((v) => v.state?.hold?.headRevision === head)) {
        const lifted = await setSuspended(table, v.key, false, {
          by: 'driftless',
          owner: input.owner,
        });
        // Going on with one hold left would read as a new failure: retry the whole reconcile.
        if (lifted.status === 'busy') throw new Error(`destination ${v.key} is busy`);
      }
      views = await destinationStates(table, app);
    } else {
      // A wave rolled back on its own, but the reconcile that saw it ended before recording it.
      const failed = views.find(failedAt);
      if (failed) stopped = stoppedBy(failed, head, failed.state!.hold!.reason ?? 'bake failed');
    }
  }

  const runs = await runPlan(input, views, planRollout(views, head, { baking, stopped }));
  if (!stopped) {
    const failed = runs.find(
      (r) => r.outcome.status === 'done' && r.outcome.rollback?.from === head,
    );
    if (failed && failed.outcome.status === 'done' && failed.outcome.rollback) {
      // The waves before it already run the failed revision: they go back in this same reconcile.
      const view = views.find((v) => v.key === failed.key)!;
      stopped = stoppedBy(view, head, failed.outcome.rollback.reason);
      views = await destinationStates(table, app);
      const again = planRollout(views, head, { baking, stopped });
      const rollbacks = new Map([...again].filter(([, a]) => a.kind === 'rollback'));
      runs.push(...(await runPlan(input, views, rollbacks)));
    }
  }

  views = await destinationStates(table, app);
  const sawHead = new Set(
    runs
      .filter((r) => r.outcome.status === 'done' && r.outcome.result.revision === head)
      .map((r) => r.key),
  );
  const rollout = recordStep(
    state?.rollout,
    {
      revision: head,
      reached: (v) => v.state?.syncedRevision === head || sawHead.has(v.key),
    },
    views,
    {
      stopped,
      complete: views.every((v) => passed(v, head, baking)),
      now: Date.now(),
    },
  );
  await writeState(
    table,
    keeper.current(),
    summaryState(state, views, head, stopped, rollout, startedAt),
  );
  return { status: 'done', runs, step: rollout[0]! };
}

function stoppedBy(view: DestinationView, head: string, reason: string): RollbackHold {
  return {
    revision: view.state?.hold?.revision ?? view.state?.syncedRevision ?? head,
    headRevision: head,
    by: 'driftless',
    at: Date.now(),
    reason: `wave ${view.wave} (${view.cluster}): ${reason}`,
    from: head,
  };
}

async function runPlan(
  input: RolloutInput,
  views: DestinationView[],
  plan: Map<string, WaveAction>,
): Promise<DestinationRun[]> {
  const planned = views.filter((v) => {
    const action = plan.get(v.key);
    return action && action.kind !== 'wait';
  });
  return Promise.all(
    planned.map((v) => {
      const action = plan.get(v.key)!;
      if (action.kind === 'rollback') {
        const trigger: SyncTrigger = { kind: 'rollback', by: 'driftless', reason: action.reason };
        return runDestination(input, v, trigger, action, {
          mode: 'sync',
          request: { ...input.request, revision: action.to },
          head: action.head,
        });
      }
      return runDestination(input, v, input.trigger, action, {
        head: action.kind === 'follow' ? action.head : undefined,
      });
    }),
  );
}

async function runDestination(
  input: RolloutInput,
  view: DestinationView,
  trigger: SyncTrigger,
  action?: WaveAction,
  extra: Partial<AppRunInput> = {},
): Promise<DestinationRun> {
  const outcome = await runApplication({
    ...input,
    app: forDestination(input.app, view),
    stateKey: view.key,
    connect: () => input.connect(view.cluster),
    owner: `${input.owner}/${view.cluster}`,
    trigger,
    ...extra,
  });
  return {
    cluster: view.cluster,
    wave: view.wave,
    key: view.key,
    action,
    trigger,
    outcome,
  };
}

/**
 * The application's own state: the worst health of its destinations, Synced
 * when all are, the revision they share (if they do), the rollout's hold and
 * record. Each destination's details stay in its own state.
 */
function summaryState(
  previous: AppState | undefined,
  views: DestinationView[],
  head: string,
  stopped: RollbackHold | undefined,
  rollout: RolloutStep[],
  startedAt: number,
): AppState {
  const states = views.map((v) => v.state);
  const health = states.reduce<AppState['health']>((worst, s) => {
    const h = s?.health ?? 'Unknown';
    return severity(h) > severity(worst) ? h : worst;
  }, 'Healthy');
  const revisions = new Set(states.map((s) => s?.syncedRevision));
  const shared = revisions.size === 1 ? [...revisions][0] : undefined;
  const errors = views
    .filter((v) => v.state?.error)
    .map((v) => `${v.cluster}: ${v.state!.error!.split('\n')[0]}`);
  return {
    suspended: previous?.suspended,
    hold: stopped,
    rollout,
    desiredRevision: head,
    syncedRevision: shared,
    syncStatus: states.every((s) => s?.syncStatus === 'Synced') ? 'Synced' : 'OutOfSync',
    health,
    error: errors.length > 0 ? errors.join('\n') : undefined,
    timings: { startedAt, finishedAt: Date.now() },
  };
}
