import { acceptPullRequest } from './accept-pull-request.ts';
import { acceptPushes } from './accept-pushes.ts';
import { bodyDigest } from './dedupe.ts';
import type { WebhookDeps } from './deps.ts';
import { deliveryIdOf, parseDelivery, verifySignature, type Delivery } from './dispatch.ts';
import { toHeaders } from './headers.ts';
import { PayloadError } from './payload-error.ts';
import { detectProvider, type Provider } from './providers.ts';
import { errorMessage, reject, respond, type WebhookResponse } from './response.ts';

export interface WebhookRequest {
  /** Header names in any case. */
  headers: Record<string, string | undefined>;
  /** The raw bytes as received (base64-decoded when API Gateway encoded them). */
  body: Buffer;
}

export interface WebhookOptions {
  maxBodyBytes?: number;
}

export const MAX_BODY_BYTES = 1_048_576;

/**
 * One webhook request to one response; never throws. The signature is checked
 * on the raw bytes before anything parses them, and a delivery is recorded
 * only after that and its enqueue, so neither a forged request nor a failed
 * enqueue can burn one.
 */
export async function handleWebhook(
  req: WebhookRequest,
  deps: WebhookDeps,
  { maxBodyBytes = MAX_BODY_BYTES }: WebhookOptions = {},
): Promise<WebhookResponse> {
  const log = deps.log ?? (() => {});
  let provider: Provider | undefined;
  try {
    if (req.body.length > maxBodyBytes) {
      return reject(log, 413, `payload larger than ${maxBodyBytes} bytes`);
    }
    const headers = toHeaders(req.headers);
    provider = detectProvider(headers);
    if (!provider) {
      return reject(log, 400, 'unknown provider: no GitHub, GitLab, Bitbucket or Gitea headers');
    }
    const secret = await deps.secret(provider);
    if (!secret) return reject(log, 401, `${provider} webhooks are not configured`, { provider });
    if (!verifySignature(provider, headers, req.body, secret)) {
      return reject(log, 401, 'missing or invalid signature', { provider });
    }

    let parsed: Delivery;
    try {
      parsed = parseDelivery(provider, headers, req.body);
    } catch (err) {
      if (!(err instanceof PayloadError)) throw err;
      return reject(log, 400, err.message, {
        provider,
        deliveryId: deliveryIdOf(provider, headers),
      });
    }
    if ('ignored' in parsed) {
      return respond(log, 'webhook.ignored', 202, `ignored: ${parsed.ignored}`, {
        provider,
        deliveryId: deliveryIdOf(provider, headers),
      });
    }
    const digest = bodyDigest(req.body);
    return Array.isArray(parsed)
      ? await acceptPushes(provider, parsed, digest, deps, log)
      : await acceptPullRequest(provider, parsed, digest, deps, log);
  } catch (err) {
    return respond(
      log,
      'webhook.failed',
      500,
      'internal error',
      { provider },
      {
        error: errorMessage(err),
      },
    );
  }
}
