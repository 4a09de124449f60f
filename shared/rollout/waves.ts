import type { Destination } from '../config/destinations.ts';
import {
  ROLLOUT_STEPS_KEPT,
  type AppState,
  type RollbackHold,
  type RolloutStep,
} from '../state/app-state.ts';
import { rollbackTarget } from '../rollback/bake.ts';

/** One destination of a rollout with the state it keeps under its own key. */
export interface DestinationView extends Destination {
  key: string;
  state: AppState | null;
}

/**
 * What one destination does in this reconcile of the rollout:
 * - follow: an automated reconcile towards `head` (with the destination's own
 *   rollback hold and bake, as for any application);
 * - rollback: re-sync `to`, the destination's newest baked revision before
 *   the failed one, held there while the branch points at `head`;
 * - wait: nothing to run yet (its wave is closed and it never synced).
 */
export type WaveAction =
  | { kind: 'follow'; head: string }
  | { kind: 'rollback'; to: string; head: string; reason: string }
  | { kind: 'wait' };

/**
 * A destination is done with `revision` when it runs it, is Healthy, is not
 * held, and (with a rollback policy) the revision has passed its bake there:
 * no alarm fired and health held for the whole bake time.
 */
export function passed(view: DestinationView, revision: string, baking: boolean): boolean {
  const s = view.state;
  if (!s || s.syncedRevision !== revision || s.health !== 'Healthy' || s.hold) return false;
  return !baking || Boolean(s.bakedRevisions?.includes(revision));
}

/** Wave numbers in order, each with its destinations. */
export function wavesOf(views: DestinationView[]): [number, DestinationView[]][] {
  const waves = new Map<number, DestinationView[]>();
  for (const v of [...views].sort((a, b) => a.wave - b.wave))
    waves.set(v.wave, [...(waves.get(v.wave) ?? []), v]);
  return [...waves];
}

/**
 * The rollout's state machine, run at the start of each reconcile of the
 * application: which revision each destination may move to.
 *
 * Going forward, the first wave follows the branch head; each later wave
 * follows it only once every destination of every earlier wave has passed
 * it (see `passed`). A closed wave stays where it is: it is still reconciled
 * at its own revision, so drift and its own bakes are still handled.
 *
 * Once the rollout of the head is `stopped` (a wave failed its bake), no
 * destination moves to it, and every destination that runs it and is not
 * held already goes back to its newest baked revision before it.
 */
export function planRollout(
  views: DestinationView[],
  head: string,
  options: { baking: boolean; stopped?: RollbackHold },
): Map<string, WaveAction> {
  const plan = new Map<string, WaveAction>();
  const stay = (v: DestinationView): WaveAction => {
    const synced = v.state?.syncedRevision;
    // A destination held at the head's rollback must see the head to stay held.
    if (v.state?.hold?.headRevision === head) return { kind: 'follow', head };
    return synced ? { kind: 'follow', head: synced } : { kind: 'wait' };
  };
  if (options.stopped) {
    const reason = `rollout of ${head} stopped: ${options.stopped.reason ?? 'a wave failed'}`;
    for (const v of views) {
      const to = rollbackTarget(v.state?.bakedRevisions ?? [], head);
      const runsHead = v.state?.syncedRevision === head && !v.state.hold;
      // Without a baked revision to go to, staying is all that is left.
      plan.set(v.key, runsHead && to ? { kind: 'rollback', to, head, reason } : stay(v));
    }
    return plan;
  }
  let open = true;
  for (const [, wave] of wavesOf(views)) {
    for (const v of wave) plan.set(v.key, open ? { kind: 'follow', head } : stay(v));
    open &&= wave.every((v) => passed(v, head, options.baking));
  }
  return plan;
}

/**
 * The rollout record after this reconcile: the head's step updated (the
 * highest wave whose destinations all synced it never goes down, even when
 * they roll back), older revisions kept as they were.
 */
export function recordStep(
  previous: RolloutStep[] | undefined,
  step: { revision: string; reached: (d: DestinationView) => boolean },
  views: DestinationView[],
  outcome: { stopped?: RollbackHold; complete: boolean; now: number },
): RolloutStep[] {
  const before = previous?.find((s) => s.revision === step.revision);
  let reachedWave = before?.reachedWave;
  for (const [wave, members] of wavesOf(views)) {
    if (!members.every(step.reached)) break;
    reachedWave = Math.max(reachedWave ?? wave, wave);
  }
  const current: RolloutStep = {
    revision: step.revision,
    reachedWave,
    status: outcome.stopped ? 'RolledBack' : outcome.complete ? 'Complete' : 'Progressing',
    reason: outcome.stopped?.reason,
    updatedAt: outcome.now,
  };
  return [current, ...(previous ?? []).filter((s) => s.revision !== step.revision)].slice(
    0,
    ROLLOUT_STEPS_KEPT,
  );
}
