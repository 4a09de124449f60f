import type { AppState } from '../state/app-state.ts';
import type { LeaseKeeper } from '../state/lease-keeper.ts';
import { bakeAfterSync, judgeBake, rollbackTarget, withBaked } from '../rollback/bake.ts';
import { nextState } from './next-state.ts';
import { recordRun, type Run } from './record-run.ts';
import type { AppRunInput, AutomatedRollback } from './types.ts';
import { isPinnedApplicationRevision } from '../engine/app-revision.ts';

/**
 * The rollback policy, after a sync that wrote: starts the bake of a new
 * revision, judges a running one (health from this sync, the alarms), and
 * when it fails re-syncs the newest revision whose bake passed and holds the
 * application there. Returns the state to write.
 */
export async function watchBake(
  input: AppRunInput,
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
        const back = await recordRun(input, keeper, {
          revision: target,
          trigger: { kind: 'rollback', by: 'driftless', reason: verdict.reason },
          previous: first.result.inventory,
          previousRevision: state.syncedRevision,
          dryRun: false,
        });
        const reason = `rolled back from ${verdict.revision}: ${verdict.reason}`;
        // Held even if the rollback sync failed: the next reconcile retries the
        // rollback instead of re-applying the revision that went bad.
        state = nextState(state, back.result, {
          dryRun: false,
          startedAt: state.timings?.startedAt ?? Date.now(),
          targetRevision: target,
          pinned: (revision: string) => isPinnedApplicationRevision(input.app, revision),
          hold: {
            revision: back.result.status === 'Failed' ? target : back.result.revision,
            headRevision: await branchHead(),
            by: 'driftless',
            at: Date.now(),
            reason,
            from: verdict.revision,
          },
        });
        rollback = {
          from: verdict.revision,
          to: target,
          reason,
          result: back.result,
          historySeq: back.historySeq,
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
  return { state, rollback };
}
