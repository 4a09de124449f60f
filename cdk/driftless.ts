import { ArnFormat, Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  appPartition,
  deliveryKey,
  REGISTRY_PARTITION,
  WATCH_PARTITION,
} from '../shared/state/keys.ts';
import { createTableInput, TTL_ATTRIBUTE } from '../shared/state/table-definition.ts';
import { ClusterAccess, type DriftlessCluster } from './access.ts';
import { DriftlessAlarms } from './alarms.ts';
import { DriftlessDashboard } from './dashboard.ts';
import { DriftlessFunction, type EntryName } from './function.ts';
import { METRICS_NAMESPACE } from './metrics.ts';
import { DriftlessToolsLayer } from './tools-layer.ts';

/** The Git repository that declares Driftless's Applications and Clusters. */
export interface ConfigurationRepository {
  /** HTTPS clone URL. */
  readonly url: string;
  /**
   * Branch, tag or commit to follow.
   *
   * @default 'main'
   */
  readonly revision?: string;
  /**
   * Folder inside the repository that holds the configuration.
   *
   * @default '.'
   */
  readonly path?: string;
  /**
   * Secret with Git credentials for private repositories, as JSON
   * `{ "<repo URL prefix>": { "username": "...", "password": "..." } }`. It
   * serves every repository the Applications point at, not only this one.
   *
   * @default - no credentials: public repositories only
   */
  readonly credentials?: secretsmanager.ISecret;
}

export interface DriftlessProps {
  /** Where the Applications and Clusters are declared. */
  readonly configRepository: ConfigurationRepository;
  /**
   * How often every application is checked for drift and new commits.
   *
   * @default - every 3 minutes
   */
  readonly schedule?: events.Schedule;
  /**
   * Each tick spreads its reconciles over up to this long, so a fleet does not
   * hit Git and the API servers in the same second.
   *
   * @default Duration.seconds(60)
   */
  readonly scheduleJitter?: Duration;
  /**
   * Webhook secrets, as JSON `{ "github": "...", "gitlab": "...", "bitbucket": "...", "gitea": "..." }`
   * (only the providers you use). Requests for a provider without a secret are rejected.
   *
   * @default - a new secret with a generated `github` value; add the others with
   *   `aws secretsmanager put-secret-value`
   */
  readonly webhookSecrets?: secretsmanager.ISecret;
  /**
   * Most reconciler instances running at once (the SQS event source's maximum
   * concurrency). Each handles a batch of up to 5 applications. Between 2 and 1000.
   *
   * @default 20
   */
  readonly reconcileConcurrency?: number;
  /**
   * Deliveries of a reconcile request before it moves to the dead-letter queue.
   *
   * @default 5
   */
  readonly maxReceiveCount?: number;
  /**
   * The reconciler's timeout; the queue's visibility timeout is six times this
   * (AWS guidance for SQS event sources).
   *
   * @default Duration.minutes(15)
   */
  readonly reconcilerTimeout?: Duration;
  /**
   * The reconciler's memory in MiB (CPU scales with it; Helm and Kustomize run in-process).
   *
   * @default 2048
   */
  readonly reconcilerMemorySize?: number;
  /**
   * Topic that alarm state changes (ALARM and OK) are sent to.
   *
   * @default - a new topic
   */
  readonly alarmTopic?: sns.ITopic;
  /**
   * Email addresses subscribed to the alarm topic (each must confirm).
   *
   * @default - no subscriptions
   */
  readonly alarmEmails?: string[];
  /**
   * p95 reconcile duration above which the ReconcileDuration alarm fires.
   *
   * @default Duration.minutes(5)
   */
  readonly reconcileDurationThreshold?: Duration;
  /**
   * EKS clusters in this account and region that Driftless manages: each gets
   * an access entry for the reconciler's and the API's roles.
   *
   * @default - none (add clusters here, or grant access yourself)
   */
  readonly clusters?: DriftlessCluster[];
  /**
   * Roles the reconciler and API may assume, for clusters in other accounts
   * (a Cluster's `spec.eks.roleArn`).
   *
   * @default - none
   */
  readonly assumeRoleArns?: string[];
  /**
   * VPC for the functions that talk to clusters (reconciler and API), for
   * clusters with a private endpoint. The subnets need a route to Git, STS,
   * DynamoDB, SQS, EventBridge and Secrets Manager (NAT or VPC endpoints).
   *
   * @default - not in a VPC (public cluster endpoints)
   */
  readonly vpc?: ec2.IVpc;
  /**
   * @default - the VPC's private subnets
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /**
   * Security groups for those functions; allow them to reach the clusters' endpoints on 443.
   *
   * @default - one new security group with all outbound traffic allowed
   */
  readonly securityGroups?: ec2.ISecurityGroup[];
  /**
   * Event bus for `driftless` events (Sync Succeeded, Sync Failed, Application
   * Degraded, Drift Repaired, Rollback Performed).
   *
   * @default - the account's default event bus
   */
  readonly eventBus?: events.IEventBus;
  /**
   * Lambda layer with `bin/kustomize` and `bin/helm` for arm64.
   *
   * @default - a DriftlessToolsLayer, cross-compiled from Go on the synthesizing machine
   */
  readonly toolsLayer?: lambda.ILayerVersion;
  /**
   * The `service` dimension of the metrics (POWERTOOLS_SERVICE_NAME). Give each
   * installation in one account and region its own, or their metrics merge.
   *
   * @default 'driftless'
   */
  readonly serviceName?: string;
  /**
   * Retention of the functions' and APIs' logs.
   *
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * What happens to the state table when the stack is deleted. It holds sync
   * history and rollback targets, so it is kept (with deletion protection) by default.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly tableRemovalPolicy?: RemovalPolicy;
}

/** Routes of the management API (functions/api.ts), every one IAM-authorized. */
export const API_ROUTES: { method: apigwv2.HttpMethod; path: string }[] = [
  { method: apigwv2.HttpMethod.GET, path: '/apps' },
  { method: apigwv2.HttpMethod.GET, path: '/apps/{name}' },
  { method: apigwv2.HttpMethod.GET, path: '/apps/{name}/diff' },
  { method: apigwv2.HttpMethod.POST, path: '/apps/{name}/sync' },
  { method: apigwv2.HttpMethod.GET, path: '/apps/{name}/history' },
  { method: apigwv2.HttpMethod.POST, path: '/apps/{name}/rollback' },
  { method: apigwv2.HttpMethod.POST, path: '/apps/{name}/suspend' },
  { method: apigwv2.HttpMethod.POST, path: '/apps/{name}/resume' },
];

/** Routes of the webhook API (functions/webhook.ts): public, verified by signature. */
export const WEBHOOK_ROUTES = ['/webhooks/{provider}', '/webhook'];

// Partition keys as shared/state builds them, so the grants follow the key layout.
const REGISTRY = REGISTRY_PARTITION;
const WATCH = WATCH_PARTITION;
const APPS = appPartition('*');
const DELIVERIES = deliveryKey('*', '*').pk.S!;

/** Some actions on the items of some partitions (`dynamodb:LeadingKeys` patterns). */
interface TableAccess {
  readonly partitions: string[];
  readonly actions: string[];
}

/**
 * What each function's code does to the table (functions/*.ts through
 * shared/state), and nothing more. Every read is a GetItem or a Query on a
 * known partition: no function Scans, which LeadingKeys could not restrict.
 */
const TABLE_ACCESS: Record<EntryName, TableAccess[]> = {
  // Routes pushes by the registry and its watched paths; reads and records
  // the deliveries it enqueued (by body digest).
  webhook: [
    { partitions: [REGISTRY, WATCH], actions: ['dynamodb:Query'] },
    { partitions: [DELIVERIES], actions: ['dynamodb:GetItem', 'dynamodb:PutItem'] },
  ],
  // Owns the registry; drops the watched paths of applications no longer declared.
  scheduler: [
    {
      partitions: [REGISTRY],
      actions: ['dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:DeleteItem'],
    },
    { partitions: [WATCH], actions: ['dynamodb:Query', 'dynamodb:DeleteItem'] },
  ],
  // Leases, state, inventory and history of the applications it syncs, and
  // the paths their renders read (deleted when a render reads none).
  reconciler: [
    { partitions: [REGISTRY], actions: ['dynamodb:Query'] },
    {
      partitions: [WATCH],
      actions: ['dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:DeleteItem'],
    },
    {
      partitions: [APPS],
      actions: [
        'dynamodb:GetItem',
        'dynamodb:Query',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:DeleteItem',
      ],
    },
  ],
  // Reads status, history and inventory; suspend and resume take the lease and
  // write state (UpdateItem of the head item). Sync and rollback only enqueue.
  api: [
    { partitions: [REGISTRY, WATCH], actions: ['dynamodb:Query'] },
    {
      partitions: [APPS],
      actions: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
    },
  ],
};

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

  constructor(scope: Construct, id: string, props: DriftlessProps) {
    super(scope, id);
    const serviceName = props.serviceName ?? 'driftless';
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;
    const reconcilerTimeout = props.reconcilerTimeout ?? Duration.minutes(15);
    const reconcileConcurrency = props.reconcileConcurrency ?? 20;
    if (
      !Number.isInteger(reconcileConcurrency) ||
      reconcileConcurrency < 2 ||
      reconcileConcurrency > 1000
    ) {
      throw new Error(
        `reconcileConcurrency must be an integer from 2 to 1000 (SQS maximum concurrency), got ${reconcileConcurrency}`,
      );
    }

    // State: one table, keys and TTL from the definition local mode and tests use.
    const definition = createTableInput('unused');
    const keyType = (name: string): dynamodb.AttributeType => {
      const type = definition.AttributeDefinitions?.find(
        (a) => a.AttributeName === name,
      )?.AttributeType;
      return type === 'N'
        ? dynamodb.AttributeType.NUMBER
        : type === 'B'
          ? dynamodb.AttributeType.BINARY
          : dynamodb.AttributeType.STRING;
    };
    const keyName = (kind: 'HASH' | 'RANGE'): string => {
      const name = definition.KeySchema?.find((k) => k.KeyType === kind)?.AttributeName;
      if (!name) throw new Error(`table definition has no ${kind} key`);
      return name;
    };
    const tableRemovalPolicy = props.tableRemovalPolicy ?? RemovalPolicy.RETAIN;
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: keyName('HASH'), type: keyType(keyName('HASH')) },
      sortKey: { name: keyName('RANGE'), type: keyType(keyName('RANGE')) },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: TTL_ATTRIBUTE,
      deletionProtection: tableRemovalPolicy === RemovalPolicy.RETAIN,
      removalPolicy: tableRemovalPolicy,
    });

    // Queue: standard SQS (the lease, not the queue, prevents double reconciles).
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      retentionPeriod: Duration.days(14),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    this.queue = new sqs.Queue(this, 'Queue', {
      visibilityTimeout: Duration.seconds(reconcilerTimeout.toSeconds() * 6),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: props.maxReceiveCount ?? 5 },
    });

    this.webhookSecrets =
      props.webhookSecrets ??
      new secretsmanager.Secret(this, 'WebhookSecrets', {
        description:
          'Driftless webhook secrets, JSON by provider: github, gitlab, bitbucket, gitea',
        generateSecretString: {
          secretStringTemplate: '{}',
          generateStringKey: 'github',
          passwordLength: 40,
          excludePunctuation: true,
        },
      });
    const eventBus =
      props.eventBus ?? events.EventBus.fromEventBusName(this, 'DefaultBus', 'default');
    this.toolsLayer = props.toolsLayer ?? new DriftlessToolsLayer(this, 'ToolsLayer');
    const credentials = props.configRepository.credentials;

    const environment: Record<string, string> = {
      TABLE_NAME: this.table.tableName,
      QUEUE_URL: this.queue.queueUrl,
      EVENT_BUS_NAME: eventBus.eventBusName,
      CONFIG_REPO_URL: props.configRepository.url,
      CONFIG_REPO_REVISION: props.configRepository.revision ?? 'main',
      CONFIG_REPO_PATH: props.configRepository.path ?? '.',
      ...(credentials ? { GIT_CREDENTIALS_SECRET_ARN: credentials.secretArn } : {}),
      SOURCE_CACHE_DIR: '/tmp/driftless',
      POWERTOOLS_SERVICE_NAME: serviceName,
      POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      // Stack traces through the bundled source maps, not minified names.
      NODE_OPTIONS: '--enable-source-maps',
    };
    const toolsEnvironment = {
      DRIFTLESS_KUSTOMIZE: '/opt/bin/kustomize',
      DRIFTLESS_HELM: '/opt/bin/helm',
    };
    const inVpc = props.vpc
      ? { vpc: props.vpc, vpcSubnets: props.vpcSubnets, securityGroups: props.securityGroups }
      : {};

    const scheduler = new DriftlessFunction(this, 'Scheduler', {
      entry: 'scheduler',
      description: 'Driftless: reads the configuration repository and enqueues due applications',
      memorySize: 512,
      timeout: Duration.minutes(2),
      environment: {
        ...environment,
        SCHEDULE_JITTER_SECONDS: String((props.scheduleJitter ?? Duration.seconds(60)).toSeconds()),
      },
      logRetention,
    });
    const webhook = new DriftlessFunction(this, 'Webhook', {
      entry: 'webhook',
      description: 'Driftless: verifies Git webhooks and enqueues the affected applications',
      memorySize: 512,
      timeout: Duration.seconds(15),
      environment: { ...environment, WEBHOOK_SECRETS_ARN: this.webhookSecrets.secretArn },
      logRetention,
    });
    const reconciler = new DriftlessFunction(this, 'Reconciler', {
      entry: 'reconciler',
      description: 'Driftless: reconciles applications from the queue into their clusters',
      memorySize: props.reconcilerMemorySize ?? 2048,
      timeout: reconcilerTimeout,
      ephemeralStorageSize: 2048,
      environment: { ...environment, ...toolsEnvironment },
      layers: [this.toolsLayer],
      logRetention,
      ...inVpc,
    });
    const api = new DriftlessFunction(this, 'Api', {
      entry: 'api',
      description: 'Driftless: management API (status, diff, sync, history, rollback, suspend)',
      memorySize: 1024,
      // HTTP APIs give up on an integration after 30 s.
      timeout: Duration.seconds(29),
      ephemeralStorageSize: 1024,
      environment: { ...environment, ...toolsEnvironment },
      layers: [this.toolsLayer],
      logRetention,
      ...inVpc,
    });
    this.scheduler = scheduler.function;
    this.webhook = webhook.function;
    this.reconciler = reconciler.function;
    this.api = api.function;

    // Permissions, function by function.
    const functions: Record<EntryName, DriftlessFunction> = { scheduler, webhook, reconciler, api };
    for (const [entry, fn] of Object.entries(functions) as [EntryName, DriftlessFunction][]) {
      for (const access of TABLE_ACCESS[entry]) {
        fn.role.addToPolicy(tableItemStatement(this.table, access));
      }
    }
    // The reconciler puts requests that met a busy lease back on the queue, delayed (sqs-retry.ts).
    for (const fn of [scheduler, webhook, api, reconciler]) this.queue.grantSendMessages(fn.role);
    if (credentials) for (const fn of [scheduler, reconciler, api]) credentials.grantRead(fn.role);
    this.webhookSecrets.grantRead(webhook.role);
    eventBus.grantPutEventsTo(reconciler.role);
    new ClusterAccess(this, 'ClusterAccess', {
      clusters: props.clusters ?? [],
      principals: { Reconciler: reconciler.role, Api: api.role },
    });
    if (props.assumeRoleArns?.length) {
      const assume = new iam.PolicyStatement({
        actions: ['sts:AssumeRole'],
        resources: props.assumeRoleArns,
      });
      reconciler.role.addToPolicy(assume);
      api.role.addToPolicy(assume);
    }

    // Triggers.
    new events.Rule(this, 'Schedule', {
      description: 'Driftless reconcile schedule',
      schedule: props.schedule ?? events.Schedule.rate(Duration.minutes(3)),
      // A tick that could not be delivered in time is superseded by the next one.
      targets: [
        new targets.LambdaFunction(this.scheduler, {
          retryAttempts: 2,
          maxEventAge: Duration.minutes(2),
        }),
      ],
    });
    this.reconciler.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: 5,
        reportBatchItemFailures: true,
        maxConcurrency: reconcileConcurrency,
      }),
    );

    // APIs: separate HTTP APIs so the public webhook endpoint has its own
    // throttling and its own 4xx/5xx metrics, apart from the IAM-signed API.
    this.webhookApi = new apigwv2.HttpApi(this, 'WebhookApi', {
      description: 'Driftless webhooks from Git providers (signature-verified)',
      createDefaultStage: false,
    });
    const webhookIntegration = new HttpLambdaIntegration('Webhook', this.webhook);
    for (const path of WEBHOOK_ROUTES) {
      for (const route of this.webhookApi.addRoutes({
        path,
        methods: [apigwv2.HttpMethod.POST],
        integration: webhookIntegration,
      })) {
        Validations.of(route).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason:
            'Git providers (GitHub, GitLab, Bitbucket, Gitea) cannot sign requests with AWS credentials or fetch tokens. The webhook function authenticates each request itself (HMAC-SHA256 of the raw body, or the GitLab token, compared in constant time) before parsing it, and the stage is throttled.',
        });
      }
    }
    const webhookStage = this.addStage(this.webhookApi, logRetention, {
      rateLimit: 20,
      burstLimit: 50,
    });
    this.webhookUrl = webhookStage.url;

    this.managementApi = new apigwv2.HttpApi(this, 'ManagementApi', {
      description: 'Driftless management API (IAM-authorized)',
      createDefaultStage: false,
    });
    const apiIntegration = new HttpLambdaIntegration('Api', this.api);
    const iamAuthorizer = new HttpIamAuthorizer();
    for (const route of API_ROUTES) {
      this.managementApi.addRoutes({
        path: route.path,
        methods: [route.method],
        integration: apiIntegration,
        authorizer: iamAuthorizer,
      });
    }
    const apiStage = this.addStage(this.managementApi, logRetention, {
      rateLimit: 10,
      burstLimit: 20,
    });
    this.apiUrl = apiStage.url;

    // Alarms and dashboard.
    if (props.alarmTopic) {
      this.alarmTopic = props.alarmTopic;
    } else {
      // Not KMS-encrypted: it carries alarm state changes, no application data,
      // and CloudWatch cannot publish to a topic under the AWS managed SNS key
      // (a customer managed key costs USD 1/month). Pass alarmTopic for one.
      this.alarmTopic = new sns.Topic(this, 'AlarmTopic', {
        displayName: 'Driftless alarms',
        enforceSSL: true,
      });
    }
    for (const email of props.alarmEmails ?? []) {
      this.alarmTopic.addSubscription(new subscriptions.EmailSubscription(email));
    }
    // Automated rollbacks: the reconciler tells the same topic, and reads the
    // alarms a rollback policy names. Those names live in application files,
    // not in this stack, so any alarm of this account and region.
    reconciler.function.addEnvironment('ALARM_TOPIC_ARN', this.alarmTopic.topicArn);
    this.alarmTopic.grantPublish(reconciler.role);
    const stack = Stack.of(this);
    reconciler.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['cloudwatch:DescribeAlarms'],
        resources: [
          stack.formatArn({
            service: 'cloudwatch',
            resource: 'alarm',
            resourceName: '*',
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ],
      }),
    );
    // cdk-nag names the finding by the resource as synthesized: pseudo parameters, or the stack's own values.
    const region = Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region;
    const account = Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
    Validations.of(reconciler.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:cloudwatch:${region}:${account}:alarm:*]`,
      reason:
        'Rollback policies name CloudWatch alarms in application files of the configuration repository, which change without a deployment; the reconciler may only describe (read) alarms, in this account and region.',
    });
    this.alarms = new DriftlessAlarms(this, 'Alarms', {
      serviceName,
      deadLetterQueue: this.deadLetterQueue,
      webhookApi: this.webhookApi,
      scheduler: this.scheduler,
      topic: this.alarmTopic,
      reconcileDurationThreshold: props.reconcileDurationThreshold ?? Duration.minutes(5),
    });
    this.dashboard = new DriftlessDashboard(this, 'Dashboard', {
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
      alarms: this.alarms.alarms,
    });

    this.acknowledgeFindings(
      [scheduler, webhook, reconciler, api],
      !!props.vpc,
      !props.webhookSecrets,
    );
  }

  /** Lets a principal (an operator's role, a CI role) call every route of the management API. */
  grantApiAccess(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['execute-api:Invoke'],
      resourceArns: [this.managementApi.arnForExecuteApi()],
    });
  }

  /** The `$default` stage, with access logs (JSON, one line per request) and throttling. */
  private addStage(
    api: apigwv2.HttpApi,
    retention: logs.RetentionDays,
    throttle: apigwv2.ThrottleSettings,
  ): apigwv2.HttpStage {
    const accessLogs = new logs.LogGroup(api, 'AccessLogs', {
      retention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    return api.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle,
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(accessLogs),
        format: apigw.AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            caller: '$context.identity.userArn',
            requestTime: '$context.requestTime',
            routeKey: '$context.routeKey',
            status: '$context.status',
            responseLength: '$context.responseLength',
            latency: '$context.responseLatency',
            integrationError: '$context.integrationErrorMessage',
          }),
        ),
      },
    });
  }

  /** cdk-nag findings that are deliberate, each with the reason. */
  private acknowledgeFindings(
    fns: DriftlessFunction[],
    inVpc: boolean,
    ownWebhookSecret: boolean,
  ): void {
    for (const fn of fns) {
      Validations.of(fn.role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'X-Ray active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords do not support resource-level permissions, so AWS requires Resource "*" (added by tracing: Active). No other statement of these roles uses a wildcard resource; the construct tests assert that.',
      });
      if (inVpc) {
        Validations.of(fn.role).acknowledge({
          id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
          reason:
            'A function in a VPC needs the EC2 network-interface permissions Lambda uses to attach it to the subnets; the AWS managed AWSLambdaVPCAccessExecutionRole is exactly that set, kept current by AWS.',
        });
      }
    }
    if (ownWebhookSecret) {
      Validations.of(this.webhookSecrets).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'Webhook secrets are shared with the Git providers: rotating one means changing the webhook at the provider too, which a rotation function cannot do. Rotate by hand: put-secret-value, then update the webhook.',
      });
    }
  }
}

/**
 * Allows the actions on the table's items whose partition key matches one of
 * the patterns. ForAllValues alone is also true when a request carries no
 * partition key at all (a Scan, say), so the Null check requires one.
 */
function tableItemStatement(table: dynamodb.ITable, access: TableAccess): iam.PolicyStatement {
  return new iam.PolicyStatement({
    actions: access.actions,
    resources: [table.tableArn],
    conditions: {
      'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': access.partitions },
      Null: { 'dynamodb:LeadingKeys': 'false' },
    },
  });
}
