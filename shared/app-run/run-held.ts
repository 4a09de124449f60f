import { writeState, type AppState } from '../state/app-state.ts';
import type { AppRecord } from '../state/head.ts';
import { readInventory } from '../state/inventory-store.ts';
import type { LeaseKeeper } from '../state/lease-keeper.ts';
import type { Inventory } from '../sync/inventory.ts';
import { chooseRevision, type ChosenRevision } from './choose-revision.ts';
import { driftState } from './drift-state.ts';
import { checkDrift } from './drift-check.ts';
import { nextState, startedState, stoppedState } from './next-state.ts';
import { recordRun, type Run } from './record-run.ts';
import { holdAfterRollback } from './rollback-hold.ts';
import { specDigest } from './skip-rule.ts';
import { commitToSync, targetOf } from './sync-target.ts';
import type { AppRunInput, AppRunOutcome, AutomatedRollback, BakeProgress } from './types.ts';
import { watchBake } from './watch-bake.ts';
import { recordWatchPaths } from './watch-paths.ts';
import { isPinnedApplicationRevision } from '../engine/app-revision.ts';

/** What a held run decided before the engine: the revision, the state and inventory it started from. */
interface HeldRun {
  chosen: ChosenRevision;
  previousState: AppState | undefined;
  previous: Inventory | undefined;
  dryRun: boolean;
  startedAt: number;
  targetRevision: string;
}

/** The part of a reconcile that runs while the lease is held. */
export async function runHeld(
  input: AppRunInput,
  record: AppRecord,
  keeper: LeaseKeeper,
  startedAt: number,
): Promise<AppRunOutcome> {
  const { table, app } = input;
  const chosen = await chooseRevision(input, record);
  if ('skip' in chosen) return chosen.skip;
  const previousState = record.state;
  if (chosen.driftCheck && chosen.revision && previousState) {
    const checked = await checkDrift(
      input,
      previousState,
      keeper,
      { revision: chosen.revision, reason: chosen.driftCheck },
      record,
    );
    // Self-heal syncs only what drifted: an unchanged app costs a dry run, not a sync.
    if (!chosen.repairDrift || checked.status !== 'done' || !checked.drift) return checked;
  }
  const run: HeldRun = {
    chosen,
    previousState,
    previous: await readInventory(table, input.stateKey ?? app.metadata.name),
    dryRun: input.mode === 'diff' || (input.mode === 'auto' && !app.spec.syncPolicy.automated),
    startedAt,
    targetRevision: targetOf(input, chosen.revision),
  };
  if (run.dryRun) return engineRun(input, keeper, run, chosen.revision);
  const target = await commitToSync(input, chosen.revision, run.previous);
  // Nothing resolved, nothing to write to the cluster: no marker, no history.
  if ('failed' in target) return recordOutcome(input, keeper, run, { result: target.failed });
  const operation = { revision: target.revision, startedAt, token: keeper.current().token };
  const started = startedState(previousState, operation, run.targetRevision);
  await writeState(table, keeper.current(), started);
  if (target.revision !== previousState?.syncedRevision)
    input.onSyncStart?.({ key: input.stateKey ?? app.metadata.name, revision: target.revision });
  try {
    return await engineRun(input, keeper, run, target.revision);
  } catch (err) {
    // Best effort: after a lost lease it is refused, and the marker tells readers instead.
    await writeState(table, keeper.current(), stoppedState(started, err, Date.now())).catch(
      () => undefined,
    );
    throw err;
  }
}

async function engineRun(
  input: AppRunInput,
  keeper: LeaseKeeper,
  run: HeldRun,
  revision: string | undefined,
): Promise<AppRunOutcome> {
  const first = await recordRun(input, keeper, {
    revision,
    trigger: input.trigger,
    previous: run.previous,
    previousRevision: run.previousState?.syncedRevision,
    dryRun: run.dryRun,
  });
  return recordOutcome(input, keeper, run, first);
}

/** Writes the run's outcome over the state it started from (and over its marker). */
async function recordOutcome(
  input: AppRunInput,
  keeper: LeaseKeeper,
  run: HeldRun,
  first: Run,
): Promise<AppRunOutcome> {
  const { table, app } = input;
  const { previousState, dryRun, chosen } = run;
  const syncedBefore = previousState?.syncedRevision;
  // A dry run at the revision last synced (`sync --dry-run`, the API's diff)
  // is a drift check someone asked for: it must not forget a drift episode.
  if (dryRun && previousState && first.result.revision === syncedBefore) {
    await writeState(table, keeper.current(), driftState(previousState, first.result, Date.now()));
    return { status: 'done', result: first.result, previousRevision: syncedBefore };
  }
  const hold =
    input.trigger.kind === 'rollback' && !dryRun
      ? await holdAfterRollback(input.trigger, first.result, syncedBefore, chosen.branchHead)
      : chosen.hold;
  const facts = {
    dryRun,
    startedAt: run.startedAt,
    hold,
    targetRevision: run.targetRevision,
    pinned: (revision: string) => isPinnedApplicationRevision(input.app, revision),
  };
  let state = nextState(previousState, first.result, facts);
  let rollback: AutomatedRollback | undefined;
  if (!dryRun)
    ({ state, rollback } = await watchBake(
      input,
      keeper,
      previousState,
      first,
      state,
      chosen.branchHead,
    ));
  else {
    // A dry run judges nothing: a running bake and the baked revisions stay as they were.
    state.bake = previousState?.bake;
    state.bakedRevisions = previousState?.bakedRevisions;
  }
  // The skip for an unchanged commit must also see a changed Application
  // (new Helm values, another namespace), so the synced spec is remembered.
  const synced = !dryRun && first.result.status !== 'Failed';
  state.specDigest = synced ? specDigest(app) : previousState?.specDigest;
  await recordWatchPaths(table, app, state, input.registeredWatchPaths, previousState);
  await writeState(table, keeper.current(), state);
  const bake = dryRun || rollback ? undefined : bakeProgress(input, state, first.result.revision);
  return {
    status: 'done',
    result: first.result,
    historySeq: first.historySeq,
    previousRevision: syncedBefore,
    rollback,
    ...(bake ? { bake } : {}),
  };
}

function bakeProgress(
  input: AppRunInput,
  state: AppState,
  revision: string,
): BakeProgress | undefined {
  if (!input.app.spec.rollback) return undefined;
  if (state.bake?.revision === revision)
    return state.bake.failed
      ? { status: 'failed', reason: state.bake.failed }
      : { status: 'baking', until: state.bake.until };
  return state.bakedRevisions?.includes(revision) ? { status: 'passed' } : undefined;
}
