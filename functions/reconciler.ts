import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { connectCluster } from '../shared/kube/connect.ts';
import { EventBridgePublisher } from '../shared/observability/eventbridge.ts';
import { recordReconcileMetrics } from '../shared/observability/metrics.ts';
import { describeOutcome, outcomeLines } from '../shared/worker/describe-outcome.ts';
import { SnsNotifier } from '../shared/observability/sns-notifier.ts';
import { SqsReconcileQueue } from '../shared/queue/sqs-queue.ts';
import { requeueLater } from '../shared/queue/sqs-retry.ts';
import { processMessage, type ReconcilerDeps } from '../shared/worker/process-message.ts';
import { CloudWatchAlarmSource } from '../shared/rollback/alarms.ts';
import { readEnv } from '../shared/runtime/env.ts';
import { forgeFeedback } from '../shared/runtime/forge-feedback.ts';
import { functionSettings } from '../shared/runtime/function-settings.ts';
import { functionProjectRoles } from '../shared/runtime/project-roles.ts';
import { gitAuth } from '../shared/runtime/git-auth.ts';
import { powertools } from '../shared/runtime/powertools.ts';
import { SecretCache } from '../shared/secrets/secret-cache.ts';
import { createDynamoClient, createStateTable } from '../shared/state/client.ts';

// The queue the event source reads (the same QUEUE_URL every function gets), to put busy requests back on.
const env = readEnv(['TABLE_NAME', 'QUEUE_URL']);
const { logger, metrics, tracer } = powertools('driftless-reconciler');
const sqs = tracer.captureAWSv3Client(new SQSClient({}));
const secrets = new SecretCache(tracer.captureAWSv3Client(new SecretsManagerClient({})));
const deps: ReconcilerDeps = {
  table: createStateTable({
    tableName: env.TABLE_NAME,
    client: tracer.captureAWSv3Client(createDynamoClient()),
  }),
  settings: functionSettings(env, gitAuth(secrets, env.GIT_CREDENTIALS_SECRET_ARN)),
  connect: connectCluster,
  projectRoles: functionProjectRoles(),
  events: new EventBridgePublisher(
    tracer.captureAWSv3Client(new EventBridgeClient({})),
    env.EVENT_BUS_NAME,
  ),
  alarms: new CloudWatchAlarmSource(tracer.captureAWSv3Client(new CloudWatchClient({}))),
  ...(env.ALARM_TOPIC_ARN
    ? {
        notifier: new SnsNotifier(
          tracer.captureAWSv3Client(new SNSClient({})),
          env.ALARM_TOPIC_ARN,
        ),
      }
    : {}),
};

const queue = new SqsReconcileQueue(sqs, env.QUEUE_URL!);
const forge = forgeFeedback(secrets, env, {
  info: (event, fields) => logger.info(event, fields),
  error: (event, fields) => logger.error(event, fields),
});

/**
 * Puts a request that can run later (a busy lease, too little time left)
 * back on the queue, delayed to when it can, instead of leaving it to the
 * queue's visibility timeout (sized for the longest reconcile). Returns the
 * delay, or undefined when the ordinary retry applies.
 */
async function requeue(
  record: SQSRecord,
  retryAfterMs: number | undefined,
): Promise<number | undefined> {
  if (retryAfterMs === undefined) return undefined;
  try {
    return await requeueLater(queue, record.body, retryAfterMs);
  } catch (err) {
    logger.warn('could not put the request back; the queue visibility timeout applies', {
      messageId: record.messageId,
      error: (err as Error).message,
    });
    return undefined;
  }
}

/** SQS batch → one reconcile per message, concurrently; busy or failed ones go back to the queue. */
async function reconcileBatch(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  const deadline = Date.now() + context.getRemainingTimeInMillis();
  const withForges: ReconcilerDeps = {
    ...deps,
    ...(await forge.batch()),
    log: (event, fields) => logger.info(event, fields),
  };
  const outcomes = await Promise.all(
    event.Records.map(async (record) => {
      const outcome = await processMessage(
        record.body,
        `${context.awsRequestId}/${record.messageId}`,
        withForges,
        deadline,
      );
      const report = describeOutcome(outcome);
      recordReconcileMetrics(metrics, report);
      const fields = {
        messageId: record.messageId,
        receiveCount: record.attributes.ApproximateReceiveCount,
        ...report,
        events: report.events.length,
      };
      if (outcome.kind === 'dropped') {
        logger.error('message dropped', fields);
      } else if (outcome.kind === 'retry') {
        const retryInSeconds = await requeue(record, outcome.retryAfterMs);
        logger.warn('reconcile will be retried', { ...fields, retryInSeconds });
        // Put back as a new message: this copy is done.
        if (retryInSeconds !== undefined) return { record, failed: false };
      } else {
        logger.info(outcomeLines(report).join('; '), fields);
      }
      return { record, failed: outcome.kind === 'retry' };
    }),
  );
  await forge.flush(deadline);
  return {
    batchItemFailures: outcomes
      .filter((o) => o.failed)
      .map((o) => ({ itemIdentifier: o.record.messageId })),
  };
}

export const handler = middy(reconcileBatch)
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger, { clearState: true }))
  .use(logMetrics(metrics));
