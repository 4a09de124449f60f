import { admit, duplicate, recordAdmitted } from './admission.ts';
import type { WebhookDeps } from './deps.ts';
import type { Provider } from './providers.ts';
import type { PullRequestEvent } from './pull-request-event.ts';
import { errorMessage, respond, type Log, type WebhookResponse } from './response.ts';
import { previewCandidates } from './route.ts';

/**
 * Enqueues a preview of a verified pull-request event, once per body, when an
 * application follows its base branch. Which of those the pull request
 * touches is the preview's to find out, from the forge's list of its files.
 */
export async function acceptPullRequest(
  provider: Provider,
  pr: PullRequestEvent,
  digest: string,
  deps: WebhookDeps,
  log: Log,
): Promise<WebhookResponse> {
  const context = { provider, deliveryId: pr.deliveryId, pullRequest: pr.number };
  const enqueuePreview = deps.enqueuePreview;
  if (!enqueuePreview)
    return respond(
      log,
      'webhook.ignored',
      202,
      `ignored: pull-request previews are off (no forge credentials are configured)`,
      context,
    );
  if (pr.fork && !deps.previewForks) {
    return respond(
      log,
      'webhook.ignored',
      202,
      `ignored: pull request #${pr.number} comes from a fork (previews of forks are off)`,
      context,
    );
  }
  const admission = await admit(deps, provider, digest, log, context);
  if (admission === 'duplicate') return duplicate(log, context, digest);

  let enqueued: boolean;
  try {
    enqueued = previewCandidates(pr, await deps.applications()).length > 0;
    if (enqueued) await enqueuePreview(pr);
  } catch (err) {
    // Nothing recorded: the provider's redelivery (same body) is processed again.
    return respond(log, 'webhook.enqueue_failed', 500, 'could not enqueue the preview', context, {
      admission,
      digest,
      error: errorMessage(err),
    });
  }

  await recordAdmitted(deps, provider, digest, log, context);
  const message = enqueued
    ? `preview enqueued for pull request #${pr.number}`
    : `no application follows ${pr.baseBranch}`;
  return respond(log, 'webhook.accepted', 202, message, context, {
    admission,
    digest,
    headSha: pr.headSha,
  });
}
