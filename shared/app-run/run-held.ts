import { resolveRevision } from '../source/index.ts';
import { writeState } from '../state/app-state.ts';
import type { AppRecord } from '../state/head.ts';
import { readInventory } from '../state/inventory-store.ts';
import type { LeaseKeeper } from '../state/lease-keeper.ts';
import { putWatchPaths } from '../state/registry.ts';
import { nextState } from './next-state.ts';
import { recordRun } from './record-run.ts';
import { specDigest, unchangedAt } from './skip-rule.ts';
import type { AppRunInput, AppRunOutcome, AutomatedRollback } from './types.ts';
import { watchBake } from './watch-bake.ts';

function sameList(a: string[] | undefined, b: string[] | undefined): boolean {
  return (a ?? []).join('\n') === (b ?? []).join('\n');
}

/** The part of a reconcile that runs while the lease is held. */
export async function runHeld(
  input: AppRunInput,
  record: AppRecord,
  keeper: LeaseKeeper,
  startedAt: number,
): Promise<AppRunOutcome> {
  const { table, app } = input;
  const name = input.stateKey ?? app.metadata.name;
  if (input.mode === 'auto' && record.state?.suspended) {
    const { by, at } = record.state.suspended;
    return { status: 'skipped', reason: `suspended by ${by} at ${new Date(at).toISOString()}` };
  }
  // The revision to reconcile: one given (rollback, CLI --revision), the
  // rollback hold's while the branch still points where it did, or the head.
  let revision = input.request?.revision;
  let hold = record.state?.hold;
  let head: string | undefined;
  if (input.mode === 'auto' && !revision) {
    head = input.head ?? (await resolveRevision(app.spec.source, input.settings.source)).revision;
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
    head ?? input.head ?? (await resolveRevision(app.spec.source, input.settings.source)).revision;
  const previousState = record.state;
  const previous = await readInventory(table, name);
  const dryRun = input.mode === 'diff' || (input.mode === 'auto' && !app.spec.syncPolicy.automated);
  if (!dryRun) {
    await writeState(table, keeper.current(), {
      ...(previousState ?? { syncStatus: 'Unknown', health: 'Unknown' }),
      operation: { revision: revision ?? app.spec.source.targetRevision, startedAt },
    });
  }
  const first = await recordRun(input, keeper, {
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
