import { writeState } from '../state/app-state.ts';
import type { AppRecord } from '../state/head.ts';
import { readInventory } from '../state/inventory-store.ts';
import type { LeaseKeeper } from '../state/lease-keeper.ts';
import { chooseRevision } from './choose-revision.ts';
import { driftState } from './drift-state.ts';
import { checkDrift } from './drift-check.ts';
import { nextState } from './next-state.ts';
import { recordRun } from './record-run.ts';
import { holdAfterRollback } from './rollback-hold.ts';
import { specDigest } from './skip-rule.ts';
import type { AppRunInput, AppRunOutcome, AutomatedRollback } from './types.ts';
import { watchBake } from './watch-bake.ts';
import { recordWatchPaths } from './watch-paths.ts';

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
  const { revision, branchHead } = chosen;
  const previousState = record.state;
  if (chosen.driftCheck && revision && previousState)
    return checkDrift(input, previousState, keeper, { revision, reason: chosen.driftCheck });
  const previous = await readInventory(table, input.stateKey ?? app.metadata.name);
  const dryRun = input.mode === 'diff' || (input.mode === 'auto' && !app.spec.syncPolicy.automated);
  if (!dryRun) {
    await writeState(table, keeper.current(), {
      ...(previousState ?? { syncStatus: 'Unknown', health: 'Unknown' }),
      operation: { revision: revision ?? app.spec.source.targetRevision, startedAt },
    });
  }
  const syncedBefore = previousState?.syncedRevision;
  const first = await recordRun(input, keeper, {
    revision,
    trigger: input.trigger,
    previous,
    previousRevision: syncedBefore,
    dryRun,
  });
  // A dry run at the revision last synced (`sync --dry-run`, the API's diff)
  // is a drift check someone asked for: it must not forget a drift episode.
  if (dryRun && previousState && first.result.revision === syncedBefore) {
    await writeState(table, keeper.current(), driftState(previousState, first.result, Date.now()));
    return { status: 'done', result: first.result, previousRevision: syncedBefore };
  }
  const hold =
    input.trigger.kind === 'rollback' && !dryRun
      ? await holdAfterRollback(input.trigger, first.result, syncedBefore, branchHead)
      : chosen.hold;
  let state = nextState(previousState, first.result, dryRun, startedAt, hold);
  let rollback: AutomatedRollback | undefined;
  if (!dryRun)
    ({ state, rollback } = await watchBake(input, keeper, previousState, first, state, branchHead));
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
  return {
    status: 'done',
    result: first.result,
    historySeq: first.historySeq,
    previousRevision: syncedBefore,
    rollback,
  };
}
