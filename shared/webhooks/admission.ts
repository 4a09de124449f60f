import type { Admission } from './dedupe.ts';
import type { WebhookDeps } from './deps.ts';
import type { Provider } from './providers.ts';
import { errorMessage, respond, type Log, type ResponseContext } from './response.ts';

/** Whether an earlier copy of the body was enqueued, i.e. whether to drop this one. */
export async function admit(
  deps: WebhookDeps,
  provider: Provider,
  digest: string,
  log: Log,
  context: ResponseContext,
): Promise<Admission> {
  try {
    return (await deps.wasDelivered(provider, digest)) ? 'duplicate' : 'new';
  } catch (err) {
    // Better to enqueue a delivery twice than to lose it to a store outage.
    log('webhook.dedupe_failed', { ...context, digest, error: errorMessage(err) });
    return 'unchecked';
  }
}

/**
 * Records a delivery that is on the queue. Its work is queued whatever happens
 * to the record; without it, a later copy is merely enqueued again.
 */
export async function recordAdmitted(
  deps: WebhookDeps,
  provider: Provider,
  digest: string,
  log: Log,
  context: ResponseContext,
): Promise<void> {
  try {
    await deps.recordDelivered(provider, digest);
  } catch (err) {
    log('webhook.record_failed', { ...context, digest, error: errorMessage(err) });
  }
}

// The digest in the log ties a replay under a new id to the delivery it copies.
export const duplicate = (log: Log, context: ResponseContext, digest: string) =>
  respond(log, 'webhook.duplicate', 200, 'duplicate delivery, ignored', context, { digest });
