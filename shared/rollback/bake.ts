import type { RollbackPolicy } from '../config/application.ts';
import type { Health } from '../health/status.ts';
import { BAKED_REVISIONS_KEPT, type AppState, type Bake } from '../state/app-state.ts';
import type { SyncTrigger } from '../state/history.ts';
import type { AlarmSource } from './alarms.ts';

/**
 * - baking: keep watching (`problem`: why it cannot pass yet, e.g. an alarm that does not exist);
 * - passed: bake time is over, the app is Healthy and no alarm fired;
 * - failed: roll back, for `reason`.
 */
export type BakeVerdict =
  | { kind: 'baking'; bake: Bake; problem?: string }
  | { kind: 'passed'; revision: string }
  | { kind: 'failed'; revision: string; reason: string };

/**
 * The bake running after a sync of `revision`: the one already running for
 * it, a new one when the revision changed, or none. A rollback, or a return to
 * a revision that baked before, starts none: those revisions were proven. A
 * failed sync keeps whatever was running, since it says nothing of health.
 */
export function bakeAfterSync(
  policy: RollbackPolicy,
  previous: AppState | undefined,
  sync: { revision: string; failed: boolean; trigger: SyncTrigger },
  now: number,
): Bake | undefined {
  if (sync.failed || previous?.bake?.revision === sync.revision) return previous?.bake;
  if (
    sync.trigger.kind === 'rollback' ||
    sync.revision === previous?.syncedRevision ||
    previous?.bakedRevisions?.includes(sync.revision)
  )
    return undefined;
  return { revision: sync.revision, startedAt: now, until: now + policy.bakeTime };
}

/**
 * Judges a running bake from the health the engine just assessed and the
 * policy's alarms. Alarms that cannot be read (missing, no alarm source, an
 * API error) never let a bake pass: a typo in an alarm name must not turn
 * into a silent pass, so the bake goes on and the problem is shown.
 */
export async function judgeBake(
  bake: Bake,
  policy: RollbackPolicy,
  health: Health,
  alarms: AlarmSource | undefined,
  now: number,
): Promise<BakeVerdict> {
  const revision = bake.revision;
  if (policy.onDegraded && health.status === 'Degraded')
    return {
      kind: 'failed',
      revision,
      reason: `health Degraded${health.message ? `: ${health.message}` : ''}`,
    };
  let problem: string | undefined;
  if (policy.alarms.length > 0) {
    if (!alarms) {
      problem = 'alarms are named but this reconciler cannot read CloudWatch alarms';
    } else {
      let states;
      try {
        states = await alarms.states(policy.alarms);
      } catch (err) {
        states = undefined;
        problem = `cannot read alarms: ${(err as Error).message}`;
      }
      if (states) {
        const firing = policy.alarms.filter((a) => states.get(a) === 'ALARM');
        if (firing.length > 0)
          return {
            kind: 'failed',
            revision,
            reason: `alarm ${firing.join(', ')} in ALARM`,
          };
        const missing = policy.alarms.filter((a) => !states.has(a));
        if (missing.length > 0) problem = `alarm not found: ${missing.join(', ')}`;
      }
    }
  }
  if (problem) return { kind: 'baking', bake, problem };
  if (now >= bake.until && health.status === 'Healthy') return { kind: 'passed', revision };
  return { kind: 'baking', bake };
}

/** The baked list with `revision` in front. */
export function withBaked(baked: string[], revision: string): string[] {
  return [revision, ...baked.filter((r) => r !== revision)].slice(0, BAKED_REVISIONS_KEPT);
}

/** Where a failed bake of `bad` rolls back to: the newest other revision that passed its bake. */
export function rollbackTarget(baked: string[], bad: string): string | undefined {
  return baked.find((r) => r !== bad);
}
