import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import * as z from 'zod';
import { SqsReconcileQueue } from '../shared/queue/sqs-queue.ts';
import { readEnv } from '../shared/runtime/env.ts';
import { powertools } from '../shared/runtime/powertools.ts';
import { webhookDeps } from '../shared/runtime/webhook-deps.ts';
import { SecretCache } from '../shared/secrets/secret-cache.ts';
import { createDynamoClient, createStateTable } from '../shared/state/client.ts';
import { handleWebhook } from '../shared/webhooks/index.ts';

const env = readEnv(['TABLE_NAME', 'QUEUE_URL', 'WEBHOOK_SECRETS_ARN']);
const { logger, metrics, tracer } = powertools('driftless-webhook');
const secrets = new SecretCache(tracer.captureAWSv3Client(new SecretsManagerClient({})));
const WebhookSecrets = z.record(z.string(), z.string().min(1));
// Anything but true or false fails the cold start: a typo must not quietly decide whether forks are previewed.
const { DRIFTLESS_PREVIEWS, DRIFTLESS_PREVIEW_FORKS } = z
  .object({
    DRIFTLESS_PREVIEWS: z.enum(['true', 'false']).default('false'),
    DRIFTLESS_PREVIEW_FORKS: z.enum(['true', 'false']).default('false'),
  })
  .parse(process.env);
const deps = webhookDeps({
  table: createStateTable({
    tableName: env.TABLE_NAME,
    client: tracer.captureAWSv3Client(createDynamoClient()),
  }),
  queue: new SqsReconcileQueue(tracer.captureAWSv3Client(new SQSClient({})), env.QUEUE_URL!),
  secret: async (provider) =>
    WebhookSecrets.parse(await secrets.json(env.WEBHOOK_SECRETS_ARN!))[provider],
  previews: DRIFTLESS_PREVIEWS === 'true',
  previewForks: DRIFTLESS_PREVIEW_FORKS === 'true',
  log: (event, fields) => logger.info(event, fields),
});

/** HTTP API → webhook flow. Answers fast (202) and never reconciles inline. */
async function webhook(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyResultV2> {
  const body = Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8');
  const response = await handleWebhook({ headers: event.headers, body }, deps);
  if (response.statusCode === 401) metrics.addMetric('WebhookRejected', MetricUnit.Count, 1);
  logger.info('webhook', { statusCode: response.statusCode, ...response.body });
  return {
    statusCode: response.statusCode,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(response.body),
  };
}

export const handler = middy(webhook)
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger, { clearState: true }))
  .use(logMetrics(metrics));
