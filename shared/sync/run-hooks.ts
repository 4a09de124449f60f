import { setTimeout as sleep } from 'node:timers/promises';
import { mapLimit } from '../util/map-limit.ts';
import { KubeApiError } from '../kube/errors.ts';
import { describeRef, type KubeObject } from '../kube/object.ts';
import { applyObject, deleteObject, getObject } from '../kube/operations.ts';
import type { SyncContext } from './context.ts';
import { hookOutcome, hookWaves, type Hook, type HookOutcome, type HookPhase } from './hooks.ts';
import type { SyncObjectsOptions } from './options.ts';
import type { SyncOutcome } from './outcome.ts';
import { FIELD_MANAGER, ownerOf } from './ownership.ts';
import type { HookResult } from './result.ts';

export interface HookPhaseOptions {
  /**
   * Bound on the whole phase: deleting previous runs, creating the hooks and
   * waiting for every wave to finish. A hook still running then fails.
   */
  timeoutMs: number;
  pollMs?: number;
  onProgress?: (message: string) => void;
}

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10}s`;
}

/**
 * The live object of the hook's name, refused unless it is this
 * application's: a hook never deletes or overwrites anything else, whatever
 * its sync options say (hooks adopt nothing). Checked when the hook is
 * created, too: the plan's check could not read a kind whose CRD came in this
 * sync, and the object may have appeared since.
 */
async function ownLiveObject(ctx: SyncContext, hook: Hook): Promise<KubeObject | undefined> {
  const { info, ref } = hook.desired;
  const live = await getObject(ctx.client, info!, ref.namespace, ref.name);
  if (live && ownerOf(live) !== ctx.app)
    throw new Error(`${describeRef(ref)} exists and is not this application's; not replaced`);
  return live;
}

/**
 * Deletes the previous run's object (BeforeHookCreation) and waits until it
 * is gone, Foreground so the old run's Pods go with it before the new run
 * starts. Only this application's hooks are ever deleted.
 */
async function deletePreviousRun(ctx: SyncContext, hook: Hook, deadline: number): Promise<void> {
  const { info, ref } = hook.desired;
  const live = await ownLiveObject(ctx, hook);
  if (!live) return;
  await deleteObject(ctx.client, info!, ref.namespace, ref.name, {
    propagationPolicy: 'Foreground',
    uid: live.metadata.uid,
  });
  while (await getObject(ctx.client, info!, ref.namespace, ref.name)) {
    if (Date.now() > deadline)
      throw new Error(`its previous run was not deleted within the hook timeout`);
    await sleep(200);
  }
}

/** Why a run told to stop (lost lease, a deadline) goes no further. */
function stopped(ctx: SyncContext): string {
  const reason = ctx.signal?.reason as Error | undefined;
  return `the sync was stopped: ${reason?.message ?? String(ctx.signal?.reason)}`;
}

function hookResult(hook: Hook, phase: HookPhase, outcome: HookOutcome): HookResult {
  const d = hook.desired;
  return {
    ref: d.ref,
    phase,
    status: outcome.state === 'Succeeded' ? 'Succeeded' : 'Failed',
    source: d.source,
    message: outcome.message,
    deletePolicies: hook.deletePolicies,
  };
}

function notRun(hook: Hook, phase: HookPhase, message: string): HookResult {
  return hookResult(hook, phase, { state: 'Failed', message });
}

/**
 * The result of a hook that finished (or never started), after deleting it
 * when its policy says so (HookSucceeded, HookFailed; not finishing in time
 * counts as failing).
 */
async function finishHook(
  ctx: SyncContext,
  hook: Hook,
  phase: HookPhase,
  outcome: HookOutcome,
  started: boolean,
): Promise<HookResult> {
  const d = hook.desired;
  const result = hookResult(hook, phase, outcome);
  const policy = outcome.state === 'Succeeded' ? 'HookSucceeded' : 'HookFailed';
  if (!started || !hook.deletePolicies.includes(policy)) return result;
  try {
    await deleteObject(ctx.client, d.info!, d.ref.namespace, d.ref.name, {
      propagationPolicy: 'Background',
    });
    result.deleted = true;
  } catch (err) {
    const failed = `${policy} delete failed: ${(err as Error).message}`;
    result.message = result.message ? `${result.message}; ${failed}` : failed;
  }
  return result;
}

/** Creates one hook; the message says why it could not be. */
async function startHook(
  ctx: SyncContext,
  hook: Hook,
  deadline: number,
): Promise<{ ok: true } | { ok: false; message: string }> {
  const d = hook.desired;
  try {
    // A kind whose CRD this sync created is served by now (PostSync, SyncFail).
    d.info ??= await ctx.discovery.find(d.object.apiVersion, d.object.kind);
    if (!d.info) throw new Error(`kind ${d.object.kind} in ${d.object.apiVersion} is not served`);
    if (hook.deletePolicies.includes('BeforeHookCreation'))
      await deletePreviousRun(ctx, hook, deadline);
    else await ownLiveObject(ctx, hook);
    // Created by server-side apply, not POST: when the client retries a create
    // whose answer was lost, the retry meets the object its first attempt made
    // (ours, same manager, same fields) and applies it again unchanged instead
    // of failing with 409 AlreadyExists, and a hook is never created twice.
    await applyObject(ctx.client, d.info, d.object, { fieldManager: FIELD_MANAGER, force: true });
    return { ok: true };
  } catch (err) {
    const denied = err instanceof KubeApiError && err.forbidden ? 'permission denied: ' : '';
    return { ok: false, message: `not created: ${denied}${(err as Error).message}` };
  }
}

/** Polls the started hooks until each has finished or the deadline passes. */
async function awaitHooks(
  ctx: SyncContext,
  hooks: Hook[],
  deadline: number,
  timeoutMs: number,
  pollMs: number,
): Promise<Map<Hook, HookOutcome>> {
  const done = new Map<Hook, HookOutcome>();
  const last = new Map<Hook, string>();
  for (;;) {
    const pending = hooks.filter((h) => !done.has(h));
    if (ctx.signal?.aborted) {
      for (const hook of pending)
        done.set(hook, { state: 'Failed', message: `not awaited: ${stopped(ctx)}` });
      return done;
    }
    await mapLimit(pending, ctx.concurrency, async (hook) => {
      const { info, ref } = hook.desired;
      let live: KubeObject | undefined;
      try {
        live = await getObject(ctx.client, info!, ref.namespace, ref.name);
      } catch (err) {
        // A failed read is not the hook's failure: try again until the deadline.
        last.set(hook, `cannot read it: ${(err as Error).message}`);
        return;
      }
      if (!live) {
        // Its outcome is unknown, so it cannot count as a success. (A Job with
        // ttlSecondsAfterFinished: 0 can vanish between two polls: a delete
        // policy is the way to remove finished hooks.)
        done.set(hook, { state: 'Failed', message: 'it was deleted before it finished' });
        return;
      }
      const outcome = hookOutcome(live);
      if (outcome.state === 'Running') last.set(hook, outcome.message);
      else done.set(hook, outcome);
    });
    if (done.size === hooks.length) return done;
    if (Date.now() >= deadline) {
      for (const hook of hooks.filter((h) => !done.has(h))) {
        done.set(hook, {
          state: 'Failed',
          message: `did not finish within ${seconds(timeoutMs)} (still ${last.get(hook) ?? 'running'})`,
        });
      }
      return done;
    }
    await sleep(Math.min(pollMs, Math.max(0, deadline - Date.now())));
  }
}

/**
 * Runs the hooks of one phase, wave by wave: each wave's hooks are created
 * (after deleting their previous run, by BeforeHookCreation) in kind order,
 * then awaited together; a wave with a failed hook stops the phase. A
 * finished hook is deleted when its policy says so (HookSucceeded,
 * HookFailed; not finishing in time counts as failing). The phase succeeded
 * when every result is Succeeded.
 */
export async function runHookPhase(
  ctx: SyncContext,
  hooks: Hook[],
  phase: HookPhase,
  options: HookPhaseOptions,
): Promise<HookResult[]> {
  // The phase's own bound, or the run's deadline when that comes first.
  const timeoutMs = Math.min(options.timeoutMs, (ctx.deadline ?? Infinity) - Date.now());
  const deadline = Date.now() + Math.max(0, timeoutMs);
  const results: HookResult[] = [];
  for (const wave of hookWaves(hooks, phase)) {
    // A run told to stop starts no hook; the wave is reported, not thrown, so
    // the sync's outcome (and the inventory it built) still reaches the caller.
    if (ctx.signal?.aborted) {
      results.push(...wave.map((hook) => notRun(hook, phase, `not run: ${stopped(ctx)}`)));
      break;
    }
    options.onProgress?.(
      `running ${wave.length} ${phase} hook(s) of wave ${wave[0]!.desired.wave}: ${wave.map((h) => describeRef(h.desired.ref)).join(', ')}`,
    );
    const started: Hook[] = [];
    const outcomes = new Map<Hook, HookOutcome>();
    for (const hook of wave) {
      const start = await startHook(ctx, hook, deadline);
      if (start.ok) started.push(hook);
      else outcomes.set(hook, { state: 'Failed', message: start.message });
    }
    const awaited = await awaitHooks(
      ctx,
      started,
      deadline,
      Math.max(0, timeoutMs),
      options.pollMs ?? 500,
    );
    for (const [hook, outcome] of awaited) outcomes.set(hook, outcome);

    for (const hook of wave) {
      results.push(await finishHook(ctx, hook, phase, outcomes.get(hook)!, started.includes(hook)));
    }
    if (results.some((r) => r.status === 'Failed')) break;
  }
  return results;
}

/**
 * Runs one hook phase of a sync, bounded by its health timeout, into its
 * outcome; the first failed hook, described, if any.
 */
export async function runSyncHooks(
  ctx: SyncContext,
  options: SyncObjectsOptions,
  hooks: Hook[],
  phase: HookPhase,
  outcome: SyncOutcome,
): Promise<string | undefined> {
  const started = Date.now();
  const results = await runHookPhase(ctx, hooks, phase, {
    timeoutMs: options.healthTimeoutMs,
    onProgress: (message) => options.onProgress?.({ phase, message }),
  });
  outcome.hooks.push(...results);
  outcome.timings.hooksMs += Date.now() - started;
  const failed = results.find((r) => r.status === 'Failed');
  return failed && `${phase} hook ${describeRef(failed.ref)} failed: ${failed.message ?? 'failed'}`;
}
