import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  Context,
  ScheduledEvent,
  SQSBatchResponse,
  SQSEvent,
} from 'aws-lambda';
import { CreateQueueCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { LOCAL_AWS } from '../harness/dynamodb.ts';
import { uniqueName } from '../harness/context.ts';

export type Handler<E, R> = (event: E, context: Context) => Promise<R>;

export interface LambdaFunctions {
  scheduler: Handler<ScheduledEvent, unknown>;
  reconciler: Handler<SQSEvent, SQSBatchResponse>;
  webhook: Handler<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>;
}

/**
 * The three handlers as Lambda would load them, against the harness's moto,
 * dynalite and a queue: the environment the construct would set, then the
 * modules imported (each reads its environment once, at load).
 */
export async function loadFunctions(env: {
  awsEndpoint: string;
  dynamo: { endpoint: string; tableName: string };
  queueUrl: string;
  configRepo: string;
  cacheDir: string;
  extra?: Record<string, string>;
}): Promise<LambdaFunctions> {
  Object.assign(process.env, {
    AWS_REGION: LOCAL_AWS.region,
    AWS_ACCESS_KEY_ID: LOCAL_AWS.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_AWS.credentials.secretAccessKey,
    AWS_ENDPOINT_URL: env.awsEndpoint,
    AWS_ENDPOINT_URL_DYNAMODB: env.dynamo.endpoint,
    TABLE_NAME: env.dynamo.tableName,
    QUEUE_URL: env.queueUrl,
    CONFIG_REPO_URL: env.configRepo,
    CONFIG_REPO_PATH: '.',
    SCHEDULE_JITTER_SECONDS: '0',
    SOURCE_CACHE_DIR: env.cacheDir,
    POWERTOOLS_METRICS_NAMESPACE: 'DriftlessTest',
    POWERTOOLS_TRACE_ENABLED: 'false',
    POWERTOOLS_LOG_LEVEL: 'WARN',
    ...env.extra,
  });
  return {
    scheduler: (await import('../../functions/scheduler.ts'))
      .handler as LambdaFunctions['scheduler'],
    reconciler: (await import('../../functions/reconciler.ts'))
      .handler as LambdaFunctions['reconciler'],
    webhook: (await import('../../functions/webhook.ts')).handler as LambdaFunctions['webhook'],
  };
}

/** What EventBridge's schedule rule sends the scheduler. */
export const scheduledEvent = (): ScheduledEvent => ({
  version: '0',
  id: uniqueName('tick'),
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: '123456789012',
  time: new Date().toISOString(),
  region: 'us-east-1',
  resources: ['arn:aws:events:us-east-1:123456789012:rule/driftless-schedule'],
  detail: {},
});

/** A queue of the test's own on moto; a short visibility timeout so a failed message returns soon. */
export async function testQueue(sqs: SQSClient, prefix: string): Promise<string> {
  const created = await sqs.send(
    new CreateQueueCommand({
      QueueName: uniqueName(prefix),
      Attributes: { VisibilityTimeout: '2' },
    }),
  );
  return created.QueueUrl!;
}
