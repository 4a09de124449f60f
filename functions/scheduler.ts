import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { ScheduledEvent } from 'aws-lambda';
import { SqsReconcileQueue } from '../shared/queue/sqs-queue.ts';
import { readEnv } from '../shared/runtime/env.ts';
import { gitAuth } from '../shared/runtime/git-auth.ts';
import { powertools } from '../shared/runtime/powertools.ts';
import { loadConfigRepo } from '../shared/scheduler/load-config-repo.ts';
import { runSchedule, type ScheduleReport } from '../shared/scheduler/run-schedule.ts';
import { SecretCache } from '../shared/secrets/secret-cache.ts';
import { SourceSpec } from '../shared/source/index.ts';
import { createDynamoClient, createStateTable } from '../shared/state/client.ts';

const env = readEnv(['TABLE_NAME', 'QUEUE_URL', 'CONFIG_REPO_URL']);
const { logger, metrics, tracer } = powertools('driftless-scheduler');
const table = createStateTable({
  tableName: env.TABLE_NAME,
  client: tracer.captureAWSv3Client(createDynamoClient()),
});
const queue = new SqsReconcileQueue(tracer.captureAWSv3Client(new SQSClient({})), env.QUEUE_URL!);
const secrets = new SecretCache(tracer.captureAWSv3Client(new SecretsManagerClient({})));
const auth = gitAuth(secrets, env.GIT_CREDENTIALS_SECRET_ARN);
const configSource = SourceSpec.parse({
  repoURL: env.CONFIG_REPO_URL,
  targetRevision: env.CONFIG_REPO_REVISION,
  path: env.CONFIG_REPO_PATH,
});

/** One tick: refresh the registry from the configuration repository and enqueue the due applications. */
async function tick(_event: ScheduledEvent): Promise<ScheduleReport & { configRevision: string }> {
  const config = await loadConfigRepo(configSource, {
    cacheDir: env.SOURCE_CACHE_DIR,
    ...(auth ? { auth } : {}),
  });
  const report = await runSchedule(config, {
    table,
    queue,
    jitterSeconds: env.SCHEDULE_JITTER_SECONDS,
  });
  for (const d of report.disabled) logger.error('application disabled by its definition', d);
  for (const u of report.unattributed) logger.error('configuration file could not be read', u);
  metrics.addMetric('AppsEnqueued', MetricUnit.Count, report.enqueued.length);
  metrics.addMetric('AppsDisabled', MetricUnit.Count, report.disabled.length);
  logger.info('schedule tick', {
    configRevision: config.revision,
    enqueued: report.enqueued.length,
    disabled: report.disabled.length,
    removed: report.removed,
    suspended: report.suspended,
  });
  return { ...report, configRevision: config.revision };
}

export const handler = middy(tick)
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger, { clearState: true }))
  .use(logMetrics(metrics));
