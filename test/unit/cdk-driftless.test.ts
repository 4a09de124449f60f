import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import { beforeAll, describe, expect, test } from 'vitest';
import { API_ROUTES, WEBHOOK_ROUTES } from '../../cdk/http-apis.ts';
import { TABLE_KEYS, TTL_ATTRIBUTE } from '../../shared/state/table-definition.ts';
import {
  ACCOUNT,
  actions,
  allowed,
  CREDENTIALS_ARN,
  CROSS_ACCOUNT_ROLE,
  functionNamed,
  logicalId,
  mainProps,
  nagViolations,
  REGION,
  resourcesOf,
  statementsOf,
  synth,
  work,
  type Statement,
  type Synth,
} from './cdk-synth.ts';

describe('Driftless construct', () => {
  let main: Synth;

  beforeAll(() => {
    main = synth(mainProps, { bundle: true });
  }, 120_000);

  test('synthesizes with real handler bundles', () => {
    // The four entry points bundle with esbuild (ESM, minified, source maps).
    const assets = Object.values(resourcesOf(main.template, 'AWS::Lambda::Function')).map(
      (f) => (f.Properties.Code as { S3Key: string }).S3Key,
    );
    expect(new Set(assets).size).toBe(4);
    const outdir = main.app.outdir;
    for (const key of assets) {
      const bundle = join(outdir, `asset.${key.replace(/\.zip$/, '')}`, 'index.mjs');
      expect(existsSync(bundle), bundle).toBe(true);
      const head = readFileSync(bundle, 'utf8').slice(0, 400);
      expect(head).toContain('createRequire');
    }
  });

  test('each bundle loads as ESM on Node 24 and exports handler', () => {
    // Catches what only shows at import time on Lambda: a dependency esbuild
    // could not bundle, a require() in ESM, a missing file. Each import runs in
    // its own process with the environment the construct sets (no AWS calls
    // happen at import).
    const fns = Object.values(resourcesOf(main.template, 'AWS::Lambda::Function'));
    for (const fn of fns) {
      const key = (fn.Properties.Code as { S3Key: string }).S3Key.replace(/\.zip$/, '');
      const bundle = join(main.app.outdir, `asset.${key}`, 'index.mjs');
      const out = execFileSync(
        process.execPath,
        [
          '--enable-source-maps',
          '--input-type=module',
          '-e',
          `const m = await import(${JSON.stringify(bundle)}); console.log(typeof m.handler);`,
        ],
        {
          cwd: work,
          encoding: 'utf8',
          env: {
            PATH: process.env.PATH,
            AWS_REGION: REGION,
            TABLE_NAME: 'driftless',
            QUEUE_URL: `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/driftless`,
            WEBHOOK_SECRETS_ARN: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:webhooks-AbCdEf`,
            CONFIG_REPO_URL: 'https://git.example.com/platform/config.git',
          },
        },
      );
      expect(out.trim(), fn.Properties.Description as string).toBe('function');
    }
  });

  test('defaults: configuration repository revision main at the root, 60 s jitter', () => {
    const { template } = synth();
    const vars = (
      functionNamed(template, 'DriftlessSchedulerFunction').Properties.Environment as {
        Variables: Record<string, unknown>;
      }
    ).Variables;
    expect(vars).toMatchObject({
      CONFIG_REPO_REVISION: 'main',
      CONFIG_REPO_PATH: '.',
      SCHEDULE_JITTER_SECONDS: '60',
      EVENT_BUS_NAME: 'default',
    });
    expect(vars.GIT_CREDENTIALS_SECRET_ARN).toBeUndefined();
  });

  test('one DynamoDB table: keys and TTL from the shared definition, on-demand, PITR, retained', () => {
    main.template.resourceCountIs('AWS::DynamoDB::Table', 1);
    main.template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        KeySchema: [
          { AttributeName: TABLE_KEYS.partitionKey, KeyType: 'HASH' },
          { AttributeName: TABLE_KEYS.sortKey, KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: TABLE_KEYS.partitionKey, AttributeType: 'S' },
          { AttributeName: TABLE_KEYS.sortKey, AttributeType: 'S' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
        DeletionProtectionEnabled: true,
      },
    });
  });

  test('a table that may be destroyed has no deletion protection', () => {
    const { template } = synth(() => ({ tableRemovalPolicy: RemovalPolicy.DESTROY }));
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Delete',
      Properties: { DeletionProtectionEnabled: false },
    });
  });

  test('queue with a dead-letter queue, visibility six times the reconciler timeout', () => {
    const { template } = main;
    template.resourceCountIs('AWS::SQS::Queue', 2);
    const dlq = logicalId(template, 'AWS::SQS::Queue', 'DriftlessDeadLetterQueue');
    template.hasResourceProperties('AWS::SQS::Queue', {
      MessageRetentionPeriod: 14 * 24 * 3600,
      SqsManagedSseEnabled: true,
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      VisibilityTimeout: 6 * 900,
      SqsManagedSseEnabled: true,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [dlq, 'Arn'] }, maxReceiveCount: 5 },
    });
    expect(functionNamed(template, 'DriftlessReconcilerFunction').Properties.Timeout).toBe(900);
    // Both queues refuse plain-HTTP access.
    for (const policy of Object.values(resourcesOf(template, 'AWS::SQS::QueuePolicy'))) {
      expect(JSON.stringify(policy.Properties)).toContain('aws:SecureTransport');
    }
  });

  test('four functions: nodejs24.x on arm64, traced, with their own log groups', () => {
    const fns = resourcesOf(main.template, 'AWS::Lambda::Function');
    expect(Object.keys(fns)).toHaveLength(4);
    for (const fn of Object.values(fns)) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        TracingConfig: { Mode: 'Active' },
        LoggingConfig: { LogGroup: expect.anything() },
      });
    }
    for (const group of Object.values(resourcesOf(main.template, 'AWS::Logs::LogGroup'))) {
      expect(group.Properties.RetentionInDays).toBe(30);
    }
  });

  test('functions get the environment the handlers read', () => {
    const { template } = main;
    const env = (prefix: string) =>
      (
        functionNamed(template, prefix).Properties.Environment as {
          Variables: Record<string, unknown>;
        }
      ).Variables;
    const common = {
      TABLE_NAME: { Ref: logicalId(template, 'AWS::DynamoDB::Table', 'DriftlessTable') },
      QUEUE_URL: { Ref: logicalId(template, 'AWS::SQS::Queue', 'DriftlessQueue') },
      EVENT_BUS_NAME: 'default',
      CONFIG_REPO_URL: 'https://git.example.com/platform/config.git',
      CONFIG_REPO_REVISION: 'release',
      CONFIG_REPO_PATH: 'clusters/prod',
      GIT_CREDENTIALS_SECRET_ARN: CREDENTIALS_ARN,
      SOURCE_CACHE_DIR: '/tmp/driftless',
      POWERTOOLS_SERVICE_NAME: 'driftless',
      POWERTOOLS_METRICS_NAMESPACE: 'Driftless',
    };
    const tools = { DRIFTLESS_KUSTOMIZE: '/opt/bin/kustomize', DRIFTLESS_HELM: '/opt/bin/helm' };
    expect(env('DriftlessSchedulerFunction')).toMatchObject({
      ...common,
      SCHEDULE_JITTER_SECONDS: '60',
    });
    expect(env('DriftlessWebhookFunction')).toMatchObject({
      ...common,
      WEBHOOK_SECRETS_ARN: {
        Ref: logicalId(template, 'AWS::SecretsManager::Secret', 'DriftlessWebhookSecrets'),
      },
    });
    expect(env('DriftlessReconcilerFunction')).toMatchObject({
      ...common,
      ...tools,
      ALARM_TOPIC_ARN: { Ref: logicalId(template, 'AWS::SNS::Topic', 'DriftlessAlarmTopic') },
    });
    // Only the reconciler notifies: it is the one that rolls back on its own.
    for (const other of ['Scheduler', 'Webhook', 'Api'])
      expect(env(`Driftless${other}Function`).ALARM_TOPIC_ARN).toBeUndefined();
    expect(env('DriftlessApiFunction')).toMatchObject({ ...common, ...tools });
    // Only the functions that render get the tools layer.
    const layer = { Ref: logicalId(template, 'AWS::Lambda::LayerVersion', 'StubTools') };
    expect(functionNamed(template, 'DriftlessReconcilerFunction').Properties.Layers).toEqual([
      layer,
    ]);
    expect(functionNamed(template, 'DriftlessApiFunction').Properties.Layers).toEqual([layer]);
    expect(functionNamed(template, 'DriftlessSchedulerFunction').Properties.Layers).toBeUndefined();
    expect(functionNamed(template, 'DriftlessWebhookFunction').Properties.Layers).toBeUndefined();
  });

  test('reconciler consumes the queue: batches of 5, partial batch failures, bounded concurrency', () => {
    main.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: {
        Ref: logicalId(main.template, 'AWS::Lambda::Function', 'DriftlessReconcilerFunction'),
      },
      EventSourceArn: {
        'Fn::GetAtt': [logicalId(main.template, 'AWS::SQS::Queue', 'DriftlessQueue'), 'Arn'],
      },
      BatchSize: 5,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 20 },
    });
    const { template } = synth(() => ({ reconcileConcurrency: 50 }));
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      ScalingConfig: { MaximumConcurrency: 50 },
    });
    expect(() => synth(() => ({ reconcileConcurrency: 1 }))).toThrow(/from 2 to 1000/);
  });

  test('EventBridge schedule every 3 minutes targets the scheduler', () => {
    main.template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(3 minutes)',
      State: 'ENABLED',
      Targets: [
        Match.objectLike({
          Arn: {
            'Fn::GetAtt': [
              logicalId(main.template, 'AWS::Lambda::Function', 'DriftlessSchedulerFunction'),
              'Arn',
            ],
          },
        }),
      ],
    });
    const { template } = synth(() => ({
      schedule: events.Schedule.rate(Duration.minutes(10)),
      scheduleJitter: Duration.seconds(120),
    }));
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(10 minutes)' });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ SCHEDULE_JITTER_SECONDS: '120' }) },
    });
  });

  test('HTTP APIs: management routes use IAM auth, webhook routes none', () => {
    const { template } = main;
    template.resourceCountIs('AWS::ApiGatewayV2::Api', 2);
    const webhookApi = logicalId(template, 'AWS::ApiGatewayV2::Api', 'DriftlessWebhookApi');
    const managementApi = logicalId(template, 'AWS::ApiGatewayV2::Api', 'DriftlessManagementApi');
    const routes = Object.values(resourcesOf(template, 'AWS::ApiGatewayV2::Route')).map((r) => ({
      api: (r.Properties.ApiId as { Ref: string }).Ref,
      key: r.Properties.RouteKey as string,
      auth: r.Properties.AuthorizationType as string | undefined,
    }));
    expect(
      routes.filter((r) => r.api === managementApi).sort((a, b) => a.key.localeCompare(b.key)),
    ).toEqual(
      API_ROUTES.map((r) => ({
        api: managementApi,
        key: `${r.method} ${r.path}`,
        auth: 'AWS_IAM',
      })).sort((a, b) => a.key.localeCompare(b.key)),
    );
    expect(
      routes.filter((r) => r.api === webhookApi).sort((a, b) => a.key.localeCompare(b.key)),
    ).toEqual(
      WEBHOOK_ROUTES.map((path) => ({ api: webhookApi, key: `POST ${path}`, auth: 'NONE' })).sort(
        (a, b) => a.key.localeCompare(b.key),
      ),
    );
    expect(routes.map((r) => r.key)).toEqual(
      expect.arrayContaining([
        'POST /webhooks/{provider}',
        'POST /webhook',
        'GET /apps/{name}/diff',
      ]),
    );
    // Payload format 2.0 to the right function.
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      ApiId: { Ref: webhookApi },
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '2.0',
      IntegrationUri: {
        'Fn::GetAtt': [
          logicalId(template, 'AWS::Lambda::Function', 'DriftlessWebhookFunction'),
          'Arn',
        ],
      },
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      ApiId: { Ref: managementApi },
      PayloadFormatVersion: '2.0',
      IntegrationUri: {
        'Fn::GetAtt': [logicalId(template, 'AWS::Lambda::Function', 'DriftlessApiFunction'), 'Arn'],
      },
    });
    // Both stages deploy automatically, throttle, and log every request.
    for (const api of [webhookApi, managementApi]) {
      template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
        ApiId: { Ref: api },
        StageName: '$default',
        AutoDeploy: true,
        DefaultRouteSettings: {
          ThrottlingRateLimit: Match.anyValue(),
          ThrottlingBurstLimit: Match.anyValue(),
        },
        AccessLogSettings: {
          DestinationArn: Match.anyValue(),
          Format: Match.stringLikeRegexp('requestId'),
        },
      });
    }
  });

  test('EKS access entries for the reconciler and API roles on each cluster', () => {
    const { template } = main;
    const entries = Object.values(resourcesOf(template, 'AWS::EKS::AccessEntry')).map(
      (e) => e.Properties,
    );
    expect(entries).toHaveLength(4);
    const reconcilerRole = logicalId(template, 'AWS::IAM::Role', 'DriftlessReconcilerRole');
    const apiRole = logicalId(template, 'AWS::IAM::Role', 'DriftlessApiRole');
    const clusterAdmin = {
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          ':eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy',
        ],
      ],
    };
    const admin = {
      'Fn::Join': [
        '',
        ['arn:', { Ref: 'AWS::Partition' }, ':eks::aws:cluster-access-policy/AmazonEKSAdminPolicy'],
      ],
    };
    for (const role of [reconcilerRole, apiRole]) {
      expect(entries).toContainEqual({
        ClusterName: 'prod',
        PrincipalArn: { 'Fn::GetAtt': [role, 'Arn'] },
        Type: 'STANDARD',
        AccessPolicies: [{ PolicyArn: clusterAdmin, AccessScope: { Type: 'cluster' } }],
      });
      expect(entries).toContainEqual({
        ClusterName: 'staging',
        PrincipalArn: { 'Fn::GetAtt': [role, 'Arn'] },
        Type: 'STANDARD',
        AccessPolicies: [
          {
            PolicyArn: admin,
            AccessScope: { Type: 'namespace', Namespaces: ['team-a', 'team-b'] },
          },
        ],
      });
    }
  });

  test('an explicit access policy is used as given; clusters elsewhere are refused at synth', () => {
    const { template } = synth(() => ({
      clusters: [
        {
          cluster: {
            clusterName: 'dev',
            clusterArn: `arn:aws:eks:${REGION}:${ACCOUNT}:cluster/dev`,
          },
          accessPolicy: 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy',
          namespaces: ['apps'],
        },
      ],
    }));
    template.hasResourceProperties('AWS::EKS::AccessEntry', {
      ClusterName: 'dev',
      AccessPolicies: [
        {
          PolicyArn: 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy',
          AccessScope: { Type: 'namespace', Namespaces: ['apps'] },
        },
      ],
    });
    expect(() =>
      synth(() => ({
        clusters: [
          {
            cluster: { clusterName: 'x', clusterArn: `arn:aws:eks:us-east-1:${ACCOUNT}:cluster/x` },
          },
        ],
      })),
    ).toThrow(/not in this stack's account and region/);
  });

  test('least privilege: each role gets exactly what its handler uses', () => {
    const { template } = main;
    // The table's statements, partition by partition: cdk-least-privilege.test.ts.
    const beyondTable = (role: string) =>
      allowed(statementsOf(template, role)).filter((a) => !a.startsWith('dynamodb:'));
    const logs = ['logs:CreateLogStream', 'logs:PutLogEvents'];
    const xray = ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'];
    const send = ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'];
    const consume = [
      'sqs:ChangeMessageVisibility',
      'sqs:DeleteMessage',
      'sqs:GetQueueAttributes',
      'sqs:GetQueueUrl',
      'sqs:ReceiveMessage',
    ];
    const secret = ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'];
    const sorted = (...groups: string[][]) => groups.flat().sort();
    expect(beyondTable('DriftlessSchedulerRole')).toEqual(sorted(logs, xray, send, secret));
    expect(beyondTable('DriftlessWebhookRole')).toEqual(sorted(logs, xray, send, secret));
    expect(beyondTable('DriftlessReconcilerRole')).toEqual(
      sorted(logs, xray, consume, send, secret, [
        'events:PutEvents',
        'eks:DescribeCluster',
        'sts:AssumeRole',
        'sns:Publish',
        'cloudwatch:DescribeAlarms',
      ]),
    );
    // Rollback notices go to the alarm topic only; alarms are read in this account and region only.
    const reconcilerStatements = statementsOf(template, 'DriftlessReconcilerRole');
    expect(reconcilerStatements.find((s) => actions(s).includes('sns:Publish'))!.Resource).toEqual({
      Ref: logicalId(template, 'AWS::SNS::Topic', 'DriftlessAlarmTopic'),
    });
    expect(
      reconcilerStatements.find((s) => actions(s).includes('cloudwatch:DescribeAlarms'))!.Resource,
    ).toEqual({
      'Fn::Join': [
        '',
        ['arn:', { Ref: 'AWS::Partition' }, `:cloudwatch:${REGION}:${ACCOUNT}:alarm:*`],
      ],
    });
    expect(beyondTable('DriftlessApiRole')).toEqual(
      sorted(logs, xray, send, secret, ['eks:DescribeCluster', 'sts:AssumeRole']),
    );

    // Which secret: the webhook reads the webhook secrets only, the others the Git credentials only.
    const webhookSecret = logicalId(
      template,
      'AWS::SecretsManager::Secret',
      'DriftlessWebhookSecrets',
    );
    const secretResources = (role: string) =>
      statementsOf(template, role)
        .filter((s) => actions(s).includes('secretsmanager:GetSecretValue'))
        .map((s) => s.Resource);
    expect(secretResources('DriftlessWebhookRole')).toEqual([{ Ref: webhookSecret }]);
    for (const role of ['DriftlessSchedulerRole', 'DriftlessReconcilerRole', 'DriftlessApiRole']) {
      expect(secretResources(role)).toEqual([CREDENTIALS_ARN]);
    }

    // Clusters and roles: exactly those passed in.
    const clusterArn = (name: string) => ({
      'Fn::Join': [
        '',
        ['arn:', { Ref: 'AWS::Partition' }, `:eks:${REGION}:${ACCOUNT}:cluster/${name}`],
      ],
    });
    for (const role of ['DriftlessReconcilerRole', 'DriftlessApiRole']) {
      const statements = statementsOf(template, role);
      const describe = statements.find((s) => actions(s).includes('eks:DescribeCluster'))!;
      expect(describe.Resource).toEqual(
        expect.arrayContaining([clusterArn('prod'), clusterArn('staging')]),
      );
      expect(describe.Resource).toHaveLength(2);
      expect(statements.find((s) => actions(s).includes('sts:AssumeRole'))!.Resource).toBe(
        CROSS_ACCOUNT_ROLE,
      );
    }
  });

  test('no wildcard resources except X-Ray (no resource-level permissions) and reading alarms', () => {
    for (const policy of Object.values(resourcesOf(main.template, 'AWS::IAM::Policy'))) {
      for (const statement of (policy.Properties.PolicyDocument as { Statement: Statement[] })
        .Statement) {
        expect(statement.Effect).toBe('Allow');
        for (const action of actions(statement)) expect(action).not.toContain('*');
        const resources = Array.isArray(statement.Resource)
          ? statement.Resource
          : [statement.Resource];
        // Fn::Join parts count too: a wildcard can hide in a built ARN.
        if (resources.some((r) => JSON.stringify(r).includes('*'))) {
          if (actions(statement).includes('cloudwatch:DescribeAlarms')) {
            expect(actions(statement)).toEqual(['cloudwatch:DescribeAlarms']);
            expect(JSON.stringify(resources)).toMatch(/:alarm:\*"\]\]\}\]$/);
            continue;
          }
          expect(actions(statement).sort()).toEqual([
            'xray:PutTelemetryRecords',
            'xray:PutTraceSegments',
          ]);
          expect(resources).toEqual(['*']);
        }
      }
    }
    // No AWS managed policies (AWSLambdaBasicExecutionRole and friends) outside a VPC.
    for (const role of Object.values(resourcesOf(main.template, 'AWS::IAM::Role'))) {
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    }
  });

  test('alarms on the functions’ EMF metrics with exactly the Powertools dimension set', () => {
    const alarms = Object.values(resourcesOf(main.template, 'AWS::CloudWatch::Alarm')).map(
      (a) => a.Properties,
    );
    const custom = alarms.filter((a) => a.Namespace === 'Driftless');
    expect(custom.map((a) => a.MetricName).sort()).toEqual(
      ['AppsDegraded', 'DriftRepaired', 'ReconcileDuration', 'SyncFailed'].sort(),
    );
    for (const alarm of custom) {
      expect(alarm.Dimensions).toEqual([{ Name: 'service', Value: 'driftless' }]);
      expect(alarm.TreatMissingData).toBe('notBreaching');
    }
    const duration = custom.find((a) => a.MetricName === 'ReconcileDuration')!;
    expect(duration).toMatchObject({ ExtendedStatistic: 'p95', Threshold: 5 * 60 * 1000 });
  });

  test('DLQ-not-empty, webhook 4xx/5xx and scheduler alarms; all notify the SNS topic', () => {
    const { template } = main;
    const topic = logicalId(template, 'AWS::SNS::Topic', 'DriftlessAlarmTopic');
    const dlq = logicalId(template, 'AWS::SQS::Queue', 'DriftlessDeadLetterQueue');
    const webhookApi = logicalId(template, 'AWS::ApiGatewayV2::Api', 'DriftlessWebhookApi');
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [dlq, 'QueueName'] } }],
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
    });
    for (const metric of ['4xx', '5xx']) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/ApiGateway',
        MetricName: metric,
        Dimensions: [{ Name: 'ApiId', Value: { Ref: webhookApi } }],
      });
    }
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [
        {
          Name: 'FunctionName',
          Value: {
            Ref: logicalId(template, 'AWS::Lambda::Function', 'DriftlessSchedulerFunction'),
          },
        },
      ],
    });
    const alarms = Object.values(resourcesOf(template, 'AWS::CloudWatch::Alarm'));
    expect(alarms).toHaveLength(8);
    for (const alarm of alarms) {
      expect(alarm.Properties.AlarmActions).toEqual([{ Ref: topic }]);
      expect(alarm.Properties.OKActions).toEqual([{ Ref: topic }]);
      expect(alarm.Properties.AlarmDescription).toEqual(expect.any(String));
    }
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'oncall@example.com',
      TopicArn: { Ref: topic },
    });
  });

  test('an existing alarm topic is used instead of a new one', () => {
    const { template } = synth((stack) => ({
      alarmTopic: sns.Topic.fromTopicArn(stack, 'Ops', `arn:aws:sns:${REGION}:${ACCOUNT}:ops`),
    }));
    template.resourceCountIs('AWS::SNS::Topic', 0);
    for (const alarm of Object.values(resourcesOf(template, 'AWS::CloudWatch::Alarm'))) {
      expect(alarm.Properties.AlarmActions).toEqual([`arn:aws:sns:${REGION}:${ACCOUNT}:ops`]);
    }
  });

  test('a dashboard with the main metrics', () => {
    const dashboards = Object.values(resourcesOf(main.template, 'AWS::CloudWatch::Dashboard'));
    expect(dashboards).toHaveLength(1);
    const body = JSON.stringify(dashboards[0]!.Properties.DashboardBody);
    for (const metric of [
      'SyncSucceeded',
      'SyncFailed',
      'AppsDegraded',
      'DriftRepaired',
      'ReconcileDuration',
      'RollbackPerformed',
      'WebhookRejected',
      'ApproximateNumberOfMessagesVisible',
      'ConcurrentExecutions',
    ]) {
      expect(body).toContain(metric);
    }
  });

  test('cdk-nag AwsSolutions: no findings left unexplained', () => {
    expect(nagViolations(main.app)).toEqual([]);
  });

  test('cdk-nag still reports what the construct did not acknowledge', () => {
    // Guards the check above against passing vacuously.
    const { app } = synth(undefined, {
      extend: (stack) =>
        new lambda.Function(stack, 'Unreviewed', {
          runtime: lambda.Runtime.NODEJS_24_X,
          handler: 'index.handler',
          code: lambda.Code.fromInline('exports.handler = async () => {};'),
        }),
    });
    expect(nagViolations(app).join('\n')).toMatch(/AwsSolutions-IAM4/);
  });

  test('in a VPC: reconciler and API run in the given subnets, nag findings all explained', () => {
    const { app, template } = synth((stack) => {
      const vpc = new ec2.Vpc(stack, 'Vpc', {
        maxAzs: 2,
        natGateways: 1,
        restrictDefaultSecurityGroup: false,
      });
      return { vpc, vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS } };
    });
    for (const prefix of ['DriftlessReconcilerFunction', 'DriftlessApiFunction']) {
      expect(functionNamed(template, prefix).Properties.VpcConfig).toMatchObject({
        SubnetIds: expect.any(Array),
        SecurityGroupIds: expect.any(Array),
      });
    }
    for (const prefix of ['DriftlessSchedulerFunction', 'DriftlessWebhookFunction']) {
      expect(functionNamed(template, prefix).Properties.VpcConfig).toBeUndefined();
    }
    const vpcRoles = Object.entries(resourcesOf(template, 'AWS::IAM::Role'))
      .filter(([, r]) =>
        JSON.stringify(r.Properties.ManagedPolicyArns ?? []).includes(
          'AWSLambdaVPCAccessExecutionRole',
        ),
      )
      .map(([id]) => id.replace(/Role.*$/, ''));
    expect(vpcRoles.sort()).toEqual(['DriftlessApi', 'DriftlessReconciler']);
    expect(nagViolations(app).filter((v) => v.includes('/Driftless/'))).toEqual([]);
  });

  test('a custom event bus and service name reach the environment, grants and alarms', () => {
    const { template } = synth((stack) => ({
      eventBus: new events.EventBus(stack, 'Bus', { eventBusName: 'gitops' }),
      serviceName: 'driftless-prod',
    }));
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          EVENT_BUS_NAME: { Ref: Match.stringLikeRegexp('^Bus') },
          POWERTOOLS_SERVICE_NAME: 'driftless-prod',
        }),
      },
    });
    const putEvents = statementsOf(template, 'DriftlessReconcilerRole').find((s) =>
      actions(s).includes('events:PutEvents'),
    )!;
    expect(JSON.stringify(putEvents.Resource)).toMatch(/"Bus[0-9A-F]+","Arn"/);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'SyncFailed',
      Dimensions: [{ Name: 'service', Value: 'driftless-prod' }],
    });
  });

  test('grantApiAccess allows execute-api:Invoke on the management API only', () => {
    const { template } = synth(undefined, {
      extend: (stack, driftless) => {
        const operator = new iam.Role(stack, 'Operator', {
          assumedBy: new iam.ArnPrincipal(`arn:aws:iam::${ACCOUNT}:root`),
        });
        driftless.grantApiAccess(operator);
      },
    });
    const statements = statementsOf(template, 'Operator');
    expect(statements).toHaveLength(1);
    expect(actions(statements[0]!)).toEqual(['execute-api:Invoke']);
    expect(JSON.stringify(statements[0]!.Resource)).toContain(
      logicalId(template, 'AWS::ApiGatewayV2::Api', 'DriftlessManagementApi'),
    );
  });
});
