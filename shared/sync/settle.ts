import type { Health } from '../health/status.ts';
import type { SyncContext } from './context.ts';
import { attachHealth } from './object-results.ts';
import { observeHealth, waitForHealth, watchedOf, type HealthReport } from './observe-health.ts';
import type { SyncObjectsOptions } from './options.ts';
import { markFailed, type SyncOutcome } from './outcome.ts';
import { hooksDue, type SyncPlan } from './plan.ts';
import { runSyncHooks } from './run-hooks.ts';

/**
 * Reads health, then runs the PostSync hooks on a healthy application and
 * the SyncFail hooks when anything failed; the application's health.
 */
export async function settle(
  ctx: SyncContext,
  options: SyncObjectsOptions,
  plan: SyncPlan,
  outcome: SyncOutcome,
): Promise<Health> {
  const started = Date.now();
  const report = await readHealth(ctx, options, plan, outcome);
  attachHealth(outcome.objects, report);
  outcome.timings.healthMs = Date.now() - started;
  if (outcome.status !== 'Failed' && hooksDue(plan, 'PostSync')) {
    await runPostSync(ctx, options, plan, outcome, report.health);
  }
  if (outcome.status === 'Failed' && hooksDue(plan, 'SyncFail')) {
    const failure = await runSyncHooks(ctx, options, plan.hooks, 'SyncFail', outcome);
    // The sync's own failure stays the headline; the hook's is added to it.
    if (failure) outcome.error = `${outcome.error ?? 'the sync failed'}; ${failure}`;
  }
  return report.health;
}

/**
 * Time kept back at the run's deadline for the health wait's last read: the
 * wait reads once more when its time is up, and that read must be answered
 * before the deadline stops every request.
 */
const LAST_READ_MS = 1_000;

/** The health timeout, or less when the run's deadline comes first. */
function healthWaitMs(ctx: SyncContext, options: SyncObjectsOptions): number {
  if (ctx.deadline === undefined) return options.healthTimeoutMs;
  const left = ctx.deadline - Date.now() - LAST_READ_MS;
  return Math.max(0, Math.min(options.healthTimeoutMs, left));
}

/** Waits when asked to, and whenever PostSync hooks are due: they run only on healthy objects. */
async function readHealth(
  ctx: SyncContext,
  options: SyncObjectsOptions,
  plan: SyncPlan,
  outcome: SyncOutcome,
): Promise<HealthReport> {
  const watched = watchedOf(plan.desired);
  // A run its deadline (or a lost lease) stopped left objects at two
  // revisions: what health a read could still give would not describe it.
  if (outcome.status === 'Failed' && stoppedRun(ctx))
    return {
      health: { status: 'Unknown', message: 'not assessed: the run stopped before it finished' },
      objects: new Map(),
    };
  try {
    if ((options.waitForHealth || hooksDue(plan, 'PostSync')) && outcome.status !== 'Failed') {
      options.onProgress?.({
        phase: 'health',
        message: `waiting for ${watched.length} object(s) to become healthy`,
      });
      return await waitForHealth(ctx, watched, { timeoutMs: healthWaitMs(ctx, options) });
    }
    return await observeHealth(ctx, watched);
  } catch (err) {
    // Objects were written already: the inventory built so far must reach
    // the caller, or a later sync could never prune what this one created.
    const message = `health could not be read: ${(err as Error).message}`;
    if (hooksDue(plan, 'PostSync')) markFailed(outcome, 'health', message);
    return { health: { status: 'Unknown', message }, objects: new Map() };
  }
}

function stoppedRun(ctx: SyncContext): boolean {
  return Boolean(ctx.signal?.aborted) || (ctx.deadline !== undefined && Date.now() >= ctx.deadline);
}

async function runPostSync(
  ctx: SyncContext,
  options: SyncObjectsOptions,
  plan: SyncPlan,
  outcome: SyncOutcome,
  health: Health,
): Promise<void> {
  if (health.status !== 'Healthy' && health.status !== 'Suspended') {
    const detail = health.message ? ` (${health.message})` : '';
    markFailed(
      outcome,
      'health',
      `PostSync hooks not run: the application is ${health.status}${detail}`,
    );
    return;
  }
  const failure = await runSyncHooks(ctx, options, plan.hooks, 'PostSync', outcome);
  if (failure) markFailed(outcome, 'PostSync', failure);
}
