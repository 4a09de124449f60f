import { admit, duplicate, recordAdmitted } from './admission.ts';
import type { WebhookDeps } from './deps.ts';
import type { Provider } from './providers.ts';
import type { PushEvent } from './push-event.ts';
import { errorMessage, respond, type Log, type WebhookResponse } from './response.ts';
import { affectedApplications } from './route.ts';

/** Enqueues the applications a verified delivery's pushes affect, once per body. */
export async function acceptPushes(
  provider: Provider,
  pushes: PushEvent[],
  digest: string,
  deps: WebhookDeps,
  log: Log,
): Promise<WebhookResponse> {
  // Every event of one delivery carries its id.
  const context = { provider, deliveryId: pushes[0]!.deliveryId };
  const admission = await admit(deps, provider, digest, log, context);
  if (admission === 'duplicate') return duplicate(log, context, digest);

  const enqueued: string[] = [];
  try {
    const candidates = await deps.applications();
    for (const push of pushes) {
      // A Bitbucket delivery can move several refs; an application follows one.
      const apps = affectedApplications(push, candidates).filter((app) => !enqueued.includes(app));
      if (apps.length === 0) continue;
      await deps.enqueue(apps, push);
      enqueued.push(...apps);
    }
  } catch (err) {
    // Nothing recorded: the provider's redelivery (same body) is processed again.
    return respond(
      log,
      'webhook.enqueue_failed',
      500,
      'could not enqueue the affected applications',
      context,
      { admission, digest, enqueued, error: errorMessage(err) },
    );
  }

  await recordAdmitted(deps, provider, digest, log, context);
  const message =
    enqueued.length === 0
      ? 'no application affected'
      : `enqueued ${enqueued.length} application${enqueued.length === 1 ? '' : 's'}`;
  const response = respond(log, 'webhook.accepted', 202, message, context, {
    admission,
    digest,
  });
  response.body.applications = enqueued;
  return response;
}
