import type { Provider } from './providers.ts';

export interface WebhookResponse {
  statusCode: number;
  body: {
    message: string;
    provider?: Provider;
    deliveryId?: string;
    /** The pull request a preview is about. */
    pullRequest?: number;
    applications?: string[];
  };
}

export type Log = (event: string, fields: Record<string, unknown>) => void;

export interface ResponseContext {
  provider?: Provider | undefined;
  deliveryId?: string | undefined;
  pullRequest?: number | undefined;
}

/** Builds the response and logs it, with `extra` fields for the log only. */
export function respond(
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
  if (context.pullRequest !== undefined) body.pullRequest = context.pullRequest;
  log(event, { statusCode, ...body, ...extra });
  return { statusCode, body };
}

export function reject(
  log: Log,
  statusCode: number,
  message: string,
  context: ResponseContext = {},
): WebhookResponse {
  return respond(log, 'webhook.rejected', statusCode, message, context);
}

export const errorMessage = (err: unknown) => (err instanceof Error ? err.message : String(err));
