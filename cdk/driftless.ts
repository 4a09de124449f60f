import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { alarmTopic, grantRollbackAlarms } from './alarm-topic.ts';
import { DriftlessAlarms } from './alarms.ts';
import { DriftlessDashboard } from './dashboard.ts';
import { APP_URL_ENV, appUrlTemplate, forgeCredentialsSecretArn } from './forge-feedback.ts';
import { driftlessFunctions } from './functions.ts';
import { managementHttpApi, webhookHttpApi } from './http-apis.ts';
import { DriftlessNotifications } from './notifications.ts';
import { grantFunctionPermissions } from './permissions.ts';
import { ProjectRoles } from './project-roles.ts';
import type { DriftlessProps } from './props.ts';
import { reconcileQueues } from './queue.ts';
import { StateTable } from './table.ts';
import { DriftlessToolsLayer } from './tools-layer.ts';
import { addTriggers, reconcileConcurrency } from './triggers.ts';
import { DriftlessWebUi } from './web-ui.ts';
import { WebhookSecrets } from './webhook-secrets.ts';

export type { DriftlessCluster } from './access.ts';
export type {
  NotificationEvent,
  NotificationFilter,
  NotificationTarget,
  SlackNotification,
  SnsNotification,
  TeamsNotification,
  WebhookNotification,
} from './notifications.ts';
export type { DriftlessProject } from './project-roles.ts';
export type {
  ConfigurationRepository,
  DriftlessOidcIssuer,
  DriftlessPreviews,
  DriftlessProps,
  DriftlessUi,
} from './props.ts';

/**
 * Driftless on AWS: a schedule and webhooks enqueue reconcile requests, a
 * reconciler drains the queue into EKS clusters, state lives in DynamoDB,
 * and alarms and a dashboard watch it (docs/architecture.md#the-flow).
 */
export class Driftless extends Construct {
  readonly table: dynamodb.Table;
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  readonly scheduler: lambda.IFunction;
  readonly webhook: lambda.IFunction;
  readonly reconciler: lambda.IFunction;
  readonly api: lambda.IFunction;
  /** Public endpoint for Git providers' webhooks. */
  readonly webhookApi: apigwv2.HttpApi;
  /** IAM-authorized management endpoint (the CLI's remote mode). */
  readonly managementApi: apigwv2.HttpApi;
  readonly webhookUrl: string;
  readonly apiUrl: string;
  readonly webhookSecrets: secretsmanager.ISecret;
  readonly alarmTopic: sns.ITopic;
  readonly alarms: DriftlessAlarms;
  readonly dashboard: DriftlessDashboard;
  readonly toolsLayer: lambda.ILayerVersion;
  /** Each project's role, by project name (empty without `projects`). */
  readonly projectRoles: Record<string, iam.IRole>;
  /** The web UI, its sign-in and its browser API (only with `ui`). */
  readonly webUi: DriftlessWebUi | undefined;
  /** The notification rules, destinations and topics (only with `notifications`). */
  readonly notifications: DriftlessNotifications | undefined;

  constructor(scope: Construct, id: string, props: DriftlessProps) {
    super(scope, id);
    const serviceName = props.serviceName ?? 'driftless';
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;
    const reconcilerTimeout = props.reconcilerTimeout ?? Duration.minutes(15);
    const maxConcurrency = reconcileConcurrency(props.reconcileConcurrency);
    const forgeCredentials = forgeCredentialsSecretArn(props.forgeCredentialsSecretArn);

    this.table = new StateTable(this, 'Table', {
      removalPolicy: props.tableRemovalPolicy ?? RemovalPolicy.RETAIN,
    });
    const queues = reconcileQueues(this, {
      reconcilerTimeout,
      maxReceiveCount: props.maxReceiveCount ?? 5,
    });
    this.queue = queues.queue;
    this.deadLetterQueue = queues.deadLetterQueue;
    this.webhookSecrets = props.webhookSecrets ?? new WebhookSecrets(this, 'WebhookSecrets');
    const eventBus =
      props.eventBus ?? events.EventBus.fromEventBusName(this, 'DefaultBus', 'default');
    this.toolsLayer = props.toolsLayer ?? new DriftlessToolsLayer(this, 'ToolsLayer');

    const functions = driftlessFunctions(this, {
      configRepository: props.configRepository,
      scheduleJitter: props.scheduleJitter,
      reconcilerMemorySize: props.reconcilerMemorySize,
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets,
      securityGroups: props.securityGroups,
      forgeCredentialsSecretArn: forgeCredentials,
      previews: props.previews,
      table: this.table,
      queue: this.queue,
      eventBus,
      webhookSecrets: this.webhookSecrets,
      toolsLayer: this.toolsLayer,
      serviceName,
      logRetention,
      reconcilerTimeout,
    });
    this.scheduler = functions.scheduler.function;
    this.webhook = functions.webhook.function;
    this.reconciler = functions.reconciler.function;
    this.api = functions.api.function;
    grantFunctionPermissions(this, functions, {
      table: this.table,
      queue: this.queue,
      webhookSecrets: this.webhookSecrets,
      eventBus,
      credentials: props.configRepository.credentials,
      forgeCredentialsSecretArn: forgeCredentials,
      clusters: props.clusters ?? [],
      assumeRoleArns: props.assumeRoleArns,
      ecrRepositoryArns: props.ecrRepositoryArns,
      projectAccess: props.projects !== undefined,
    });
    this.projectRoles = props.projects
      ? new ProjectRoles(this, 'Projects', {
          projects: props.projects,
          clusters: props.clusters ?? [],
          functions: [functions.reconciler, functions.api],
        }).roles
      : {};
    addTriggers(this, {
      scheduler: this.scheduler,
      reconciler: this.reconciler,
      queue: this.queue,
      schedule: props.schedule,
      maxConcurrency,
    });

    const webhookApi = webhookHttpApi(this, this.webhook, logRetention);
    this.webhookApi = webhookApi.api;
    this.webhookUrl = webhookApi.url;
    const managementApi = managementHttpApi(this, this.api, logRetention);
    this.managementApi = managementApi.api;
    this.apiUrl = managementApi.url;
    this.webUi = props.ui
      ? new DriftlessWebUi(this, 'Ui', { ui: props.ui, api: functions.api, logRetention })
      : undefined;
    functions.reconciler.function.addEnvironment(
      APP_URL_ENV,
      appUrlTemplate(props.appUrl, this.webUi?.url, this.apiUrl),
    );

    this.alarmTopic = alarmTopic(this, {
      topic: props.alarmTopic,
      emails: props.alarmEmails ?? [],
    });
    grantRollbackAlarms(functions.reconciler, this.alarmTopic);
    this.notifications = props.notifications?.length
      ? new DriftlessNotifications(this, 'Notifications', {
          eventBus,
          notifications: props.notifications,
          alarmTopic: this.alarmTopic,
        })
      : undefined;
    const monitoring = this.monitor(
      serviceName,
      props.reconcileDurationThreshold ?? Duration.minutes(5),
    );
    this.alarms = monitoring.alarms;
    this.dashboard = monitoring.dashboard;
  }

  /** Lets a principal (an operator's role, a CI role) call every route of the management API. */
  grantApiAccess(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['execute-api:Invoke'],
      resourceArns: [this.managementApi.arnForExecuteApi()],
    });
  }

  /** Alarms and a dashboard over what the constructor built. */
  private monitor(
    serviceName: string,
    reconcileDurationThreshold: Duration,
  ): { alarms: DriftlessAlarms; dashboard: DriftlessDashboard } {
    const alarms = new DriftlessAlarms(this, 'Alarms', {
      serviceName,
      deadLetterQueue: this.deadLetterQueue,
      webhookApi: this.webhookApi,
      scheduler: this.scheduler,
      topic: this.alarmTopic,
      reconcileDurationThreshold,
    });
    const dashboard = new DriftlessDashboard(this, 'Dashboard', {
      serviceName,
      queue: this.queue,
      deadLetterQueue: this.deadLetterQueue,
      webhookApi: this.webhookApi,
      functions: {
        scheduler: this.scheduler,
        webhook: this.webhook,
        reconciler: this.reconciler,
        api: this.api,
      },
      alarms: alarms.alarms,
    });
    return { alarms, dashboard };
  }
}
