import type { EngineSettings } from '../engine/settings.ts';
import { DEFAULT_GIT_TIMEOUT_MS } from '../source/remote.ts';

/**
 * Time kept back at the end of an invocation: once this close to the
 * deadline, a running reconcile writes nothing more to the cluster, so it can
 * still record what it did, release its lease and hand its message back
 * before Lambda stops the process.
 */
export const STOP_BEFORE_DEADLINE_MS = 10_000;

/**
 * The least time left for a reconcile to start: the Git fetch and the render
 * do not stop for the deadline (a renderer may run its full timeout), and its
 * writes would then be stopped within about one lease TTL, leaving a partial
 * sync for the next delivery to finish anyway, when another invocation can
 * take the message a second later.
 */
export function startMarginMs(settings: EngineSettings): number {
  const gitMs = settings.source.timeoutMs ?? DEFAULT_GIT_TIMEOUT_MS;
  return settings.leaseTtlMs + settings.render.toolTimeoutMs + gitMs + STOP_BEFORE_DEADLINE_MS;
}

/** Why a reconcile stopped at the deadline: the reason of the signal, shown in the sync's messages. */
export class DeadlineError extends Error {
  constructor() {
    super(`the reconciler's time was nearly up (${STOP_BEFORE_DEADLINE_MS / 1000} s left)`);
    this.name = 'DeadlineError';
  }
}

/**
 * Aborted `STOP_BEFORE_DEADLINE_MS` before `deadline` (epoch ms). The timer
 * does not keep the process alive; `clear` it when the work is done.
 */
export function deadlineSignal(deadline: number): { signal: AbortSignal; clear: () => void } {
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new DeadlineError()),
    Math.max(0, deadline - STOP_BEFORE_DEADLINE_MS - Date.now()),
  );
  timer.unref();
  return { signal: controller.signal, clear: () => clearTimeout(timer) };
}
