import type { ForgeLookup } from '../forge/types.ts';
import { ForgeError } from '../forge/forge-error.ts';
import { runPreview, type PreviewDeps } from '../preview/run-preview.ts';
import { messageSubject, type PreviewMessage } from '../queue/message.ts';
import { deadlineSignal, startMarginMs } from './deadline.ts';
import type { MessageOutcome } from './message-outcome.ts';

/** When a forge or the store failed: soon again, but not in a tight loop. */
export const PREVIEW_RETRY_MS = 60_000;

export interface PreviewWorkerDeps extends Omit<PreviewDeps, 'forges' | 'signal'> {
  forges?: ForgeLookup;
  /** Forge credentials are configured but could not be read now (a Secrets Manager outage). */
  forgesUnavailable?: string;
}

/** Time kept back for the comment and status after the dry runs: a few forge requests. */
const POSTING_MS = 30_000;

/**
 * A forge's refusal that another try will not change (a token without the
 * right, a missing pull request). GitHub also answers rate limits with 403:
 * those pass.
 */
function final(err: unknown): boolean {
  if (!(err instanceof ForgeError) || err.status === undefined) return false;
  if (/rate limit/i.test(err.message)) return false;
  return err.status >= 400 && err.status < 500 && err.status !== 408 && err.status !== 429;
}

/**
 * A pull request's preview as a queue message: not started too close to the
 * deadline and stopped before it (the message goes back at once); a forge
 * or store that fails puts it back in a minute; a forge that refuses for
 * good drops it with the forge's reason.
 */
export async function previewMessage(
  message: PreviewMessage,
  deps: PreviewWorkerDeps,
  deadline?: number,
): Promise<MessageOutcome> {
  const app = messageSubject(message);
  if (!deps.forges) {
    if (deps.forgesUnavailable)
      return { kind: 'retry', app, reason: deps.forgesUnavailable, retryAfterMs: PREVIEW_RETRY_MS };
    return { kind: 'dropped', reason: `${app}: no forge credentials are configured` };
  }
  if (deadline !== undefined && deadline - Date.now() < startMarginMs(deps.settings))
    return {
      kind: 'retry',
      app,
      reason: "not started: too close to the reconciler's deadline",
      retryAfterMs: 0,
    };
  const stop = deadline === undefined ? undefined : deadlineSignal(deadline - POSTING_MS);
  try {
    const outcome = await runPreview(message, {
      ...deps,
      forges: deps.forges,
      ...(stop ? { signal: stop.signal } : {}),
    });
    if (outcome.kind === 'stopped')
      return {
        kind: 'retry',
        app,
        reason: "stopped before the reconciler's deadline",
        retryAfterMs: 0,
      };
    return { kind: 'preview', number: message.number, outcome };
  } catch (err) {
    const reason = (err as Error).message;
    if (final(err)) return { kind: 'dropped', reason: `${app}: ${reason}` };
    return { kind: 'retry', app, reason, retryAfterMs: PREVIEW_RETRY_MS };
  } finally {
    stop?.clear();
  }
}
