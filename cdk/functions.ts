import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { FORGE_CREDENTIALS_ENV, PREVIEW_FORKS_ENV, PREVIEWS_ENV } from './forge-feedback.ts';
import { DriftlessFunction, type EntryName } from './function.ts';
import { METRICS_NAMESPACE } from './metrics.ts';
import type { DriftlessProps } from './props.ts';

export interface DriftlessFunctionsProps extends Pick<
  DriftlessProps,
  | 'configRepository'
  | 'scheduleJitter'
  | 'reconcilerMemorySize'
  | 'vpc'
  | 'vpcSubnets'
  | 'securityGroups'
  | 'forgeCredentialsSecretArn'
  | 'previews'
> {
  readonly table: dynamodb.ITable;
  readonly queue: sqs.IQueue;
  readonly eventBus: events.IEventBus;
  readonly webhookSecrets: secretsmanager.ISecret;
  readonly toolsLayer: lambda.ILayerVersion;
  readonly serviceName: string;
  readonly logRetention: logs.RetentionDays;
  readonly reconcilerTimeout: Duration;
}

/**
 * The four functions, sized for their work. Only the reconciler and the API
 * render (the tools layer) and talk to clusters (the VPC); the environment is
 * docs/aws.md#function-environment.
 */
export function driftlessFunctions(
  scope: Construct,
  props: DriftlessFunctionsProps,
): Record<EntryName, DriftlessFunction> {
  const environment = sharedEnvironment(props);
  const logRetention = props.logRetention;
  const toolsEnvironment = {
    DRIFTLESS_KUSTOMIZE: '/opt/bin/kustomize',
    DRIFTLESS_HELM: '/opt/bin/helm',
  };
  const inVpc = props.vpc
    ? { vpc: props.vpc, vpcSubnets: props.vpcSubnets, securityGroups: props.securityGroups }
    : {};
  const jitter = props.scheduleJitter ?? Duration.seconds(60);

  const scheduler = new DriftlessFunction(scope, 'Scheduler', {
    entry: 'scheduler',
    description: 'Driftless: reads the configuration repository and enqueues due applications',
    memorySize: 512,
    timeout: Duration.minutes(2),
    environment: { ...environment, SCHEDULE_JITTER_SECONDS: String(jitter.toSeconds()) },
    logRetention,
  });
  const webhook = new DriftlessFunction(scope, 'Webhook', {
    entry: 'webhook',
    description: 'Driftless: verifies Git webhooks and enqueues the affected applications',
    memorySize: 512,
    timeout: Duration.seconds(15),
    environment: {
      ...environment,
      WEBHOOK_SECRETS_ARN: props.webhookSecrets.secretArn,
      [PREVIEWS_ENV]: String(props.forgeCredentialsSecretArn !== undefined),
      [PREVIEW_FORKS_ENV]: String(props.previews?.forks ?? false),
    },
    logRetention,
  });
  const reconciler = new DriftlessFunction(scope, 'Reconciler', {
    entry: 'reconciler',
    description: 'Driftless: reconciles applications from the queue into their clusters',
    memorySize: props.reconcilerMemorySize ?? 2048,
    timeout: props.reconcilerTimeout,
    ephemeralStorageSize: 2048,
    environment: {
      ...environment,
      ...toolsEnvironment,
      ...(props.forgeCredentialsSecretArn
        ? { [FORGE_CREDENTIALS_ENV]: props.forgeCredentialsSecretArn }
        : {}),
    },
    layers: [props.toolsLayer],
    logRetention,
    ...inVpc,
  });
  const api = new DriftlessFunction(scope, 'Api', {
    entry: 'api',
    description: 'Driftless: management API (status, diff, sync, history, rollback, suspend)',
    memorySize: 1024,
    // HTTP APIs give up on an integration after 30 s.
    timeout: Duration.seconds(29),
    ephemeralStorageSize: 1024,
    environment: { ...environment, ...toolsEnvironment },
    layers: [props.toolsLayer],
    logRetention,
    ...inVpc,
  });
  return { scheduler, webhook, reconciler, api };
}

/** What every function is told: where state, queue, events and configuration are. */
function sharedEnvironment(props: DriftlessFunctionsProps): Record<string, string> {
  const repository = props.configRepository;
  return {
    TABLE_NAME: props.table.tableName,
    QUEUE_URL: props.queue.queueUrl,
    EVENT_BUS_NAME: props.eventBus.eventBusName,
    CONFIG_REPO_URL: repository.url,
    CONFIG_REPO_REVISION: repository.revision ?? 'main',
    CONFIG_REPO_PATH: repository.path ?? '.',
    ...(repository.credentials
      ? { GIT_CREDENTIALS_SECRET_ARN: repository.credentials.secretArn }
      : {}),
    SOURCE_CACHE_DIR: '/tmp/driftless',
    POWERTOOLS_SERVICE_NAME: props.serviceName,
    POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
    // Stack traces through the bundled source maps, not minified names.
    NODE_OPTIONS: '--enable-source-maps',
  };
}
