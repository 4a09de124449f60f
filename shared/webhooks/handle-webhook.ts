import { bodyDigest, type Admission } from './dedupe.ts';
import { deliveryIdOf, parsePushes, verifySignature } from './dispatch.ts';
import { toHeaders } from './headers.ts';
import { PayloadError } from './payload-error.ts';
import { detectProvider, type Provider } from './providers.ts';
import type { Ignored, PushEvent } from './push-event.ts';
import { affectedApplications, type RouteCandidate } from './route.ts';

export interface WebhookRequest {
  /** Header names in any case. */
  headers: Record<string, string | undefined>;
  /** The raw bytes as received (base64-decoded when API Gateway encoded them). */
  body: Buffer;
}

export interface WebhookDeps {
  /** The provider's shared secret; undefined when the provider is not configured (→ 401). */
  secret(provider: Provider): Promise<string | undefined>;
  /** Whether a delivery with this key (its body digest, see dedupe.ts) was recorded as enqueued. */
  wasDelivered(provider: Provider, key: string): Promise<boolean>;
  /** Records that the delivery with this key is on the queue. */
  recordDelivered(provider: Provider, key: string): Promise<void>;
  /** The application registry. */
  applications(): Promise<RouteCandidate[]>;
  enqueue(apps: string[], push: PushEvent): Promise<void>;
  log?(event: string, fields: Record<string, unknown>): void;
}

export interface WebhookResponse {
  statusCode: number;
  body: {
    message: string;
    provider?: Provider;
    deliveryId?: string;
    applications?: string[];
  };
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

    let parsed: PushEvent[] | Ignored;
    try {
      parsed = parsePushes(provider, headers, req.body);
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
    return await dispatch(provider, parsed, bodyDigest(req.body), deps, log);
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

type Log = NonNullable<WebhookDeps['log']>;

async function dispatch(
  provider: Provider,
  pushes: PushEvent[],
  digest: string,
  deps: WebhookDeps,
  log: Log,
): Promise<WebhookResponse> {
  // Every event of one delivery carries its id.
  const deliveryId = pushes[0]!.deliveryId;
  const context = { provider, deliveryId };
  const admission = await admit(deps, provider, digest, log, context);
  if (admission === 'duplicate') {
    // The digest in the log ties a replay under a new id to the delivery it copies.
    return respond(log, 'webhook.duplicate', 200, 'duplicate delivery, ignored', context, {
      digest,
    });
  }

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

  // The push is on the queue whatever happens to the record; without it, a
  // later copy is merely enqueued again.
  try {
    await deps.recordDelivered(provider, digest);
  } catch (err) {
    log('webhook.record_failed', { ...context, digest, error: errorMessage(err) });
  }
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

/** Whether an earlier copy of the body was enqueued, i.e. whether to drop this one. */
async function admit(
  deps: WebhookDeps,
  provider: Provider,
  digest: string,
  log: Log,
  context: ResponseContext,
): Promise<Admission> {
  try {
    return (await deps.wasDelivered(provider, digest)) ? 'duplicate' : 'new';
  } catch (err) {
    // Better to enqueue a push twice than to lose it to a store outage.
    log('webhook.dedupe_failed', { ...context, digest, error: errorMessage(err) });
    return 'unchecked';
  }
}

function reject(
  log: Log,
  statusCode: number,
  message: string,
  context: ResponseContext = {},
): WebhookResponse {
  return respond(log, 'webhook.rejected', statusCode, message, context);
}

interface ResponseContext {
  provider?: Provider | undefined;
  deliveryId?: string | undefined;
}

/** Builds the response and logs it, with `extra` fields for the log only. */
function respond(
  log: Log,
  event: string,
  statusCode: number,
  message: string,
  context: ResponseContext,
  extra: Record<string, unknown> = {},
): WebhookResponse {
  const body: WebhookResponse['body'] = { message };
  if (context.provider) body.provider = context.provider;
  if (context.deliveryId) body.deliveryId = context.deliveryId;
  log(event, { statusCode, ...body, ...extra });
  return { statusCode, body };
}

const errorMessage = (err: unknown) => (err instanceof Error ? err.message : String(err));
