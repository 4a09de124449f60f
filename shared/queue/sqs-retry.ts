import { isPreviewMessage, QueueMessage, type ReconcileQueue } from './message.ts';

/** SQS delays a message at most this long. */
const MAX_DELAY_SECONDS = 900;

/** How long a request keeps being put back for a lease someone else holds, before it counts as failing. */
export const BUSY_BUDGET_MS = 60 * 60_000;

/**
 * The delay for a retry that can succeed after `retryAfterMs` (a busy lease's
 * expiry): the hint in whole seconds, at least 1, plus up to a fifth more, so
 * messages that met the same lease do not all return in the same second.
 */
export function retryDelaySeconds(
  retryAfterMs: number,
  random: () => number = Math.random,
): number {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return Math.min(MAX_DELAY_SECONDS, Math.ceil(seconds * (1 + random() / 5)));
}

/**
 * Sends the request again, delayed to when it can run, so the received copy
 * can be deleted. A busy lease is not a failure of the message: put back by
 * visibility it would count towards the dead-letter queue's receive limit,
 * and a long sync holding the lease would send pushes there. `busySince`
 * travels with the copy and bounds how long this goes on; past the budget
 * (or for a body that does not parse) nothing is sent and the caller falls
 * back to the ordinary retry, which does count. A preview is bounded by the
 * same budget from when its event was enqueued.
 */
export async function requeueLater(
  queue: ReconcileQueue,
  body: string,
  retryAfterMs: number,
  now: number = Date.now(),
): Promise<number | undefined> {
  const message = parsedMessage(body);
  if (!message) return undefined;
  const preview = isPreviewMessage(message);
  const since = preview ? message.enqueuedAt : (message.busySince ?? now);
  if (now - since > BUSY_BUDGET_MS) return undefined;
  const delaySeconds = retryDelaySeconds(retryAfterMs);
  await queue.send([
    { message: preview ? message : { ...message, busySince: since }, delaySeconds },
  ]);
  return delaySeconds;
}

function parsedMessage(body: string): QueueMessage | undefined {
  try {
    return QueueMessage.parse(JSON.parse(body));
  } catch {
    return undefined;
  }
}
