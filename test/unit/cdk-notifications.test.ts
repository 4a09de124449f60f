import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, SecretValue, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import { beforeAll, describe, expect, test } from 'vitest';
import {
  DEFAULT_NOTIFICATION_EVENTS,
  DriftlessNotifications,
  type NotificationEvent,
  type NotificationTarget,
} from '../../cdk/notifications.ts';
import type { DriftlessEventType } from '../../shared/observability/events.ts';
import {
  ACCOUNT,
  actions,
  functionNamed,
  logicalId,
  nagViolations,
  REGION,
  resourcesOf,
  statementsOf,
  synth,
  work,
  type Resource,
  type Statement,
  type Synth,
} from './cdk-synth.ts';

/**
 * Notifications (EventBridge rules to API destinations and SNS, messages
 * written by input transformers) and the forge feedback props.
 */

const SLACK_URL = 'https://hooks.slack.com/services/T0001/B0001/s3cr3tT0k3n';
const TEAMS_URL =
  'https://prod-12.westeurope.logic.azure.com:443/workflows/0f1e/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=s3cr3t';
const HOOK_URL = 'https://hooks.example.com/driftless';
const FORGE_ARN = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:driftless/forge-Q1w2E3`;

const TARGETS: NotificationTarget[] = [
  { kind: 'slack', webhookUrl: SLACK_URL, apps: ['shop', 'web'] },
  { kind: 'teams', webhookUrl: TEAMS_URL, events: ['Sync Failed'], projects: ['team-a'] },
  { kind: 'webhook', url: HOOK_URL, headers: { 'x-team': 'platform' }, name: 'Pager' },
  { kind: 'sns', emails: ['oncall@example.com', 'lead@example.com'], name: 'Email' },
];

type Target = {
  Arn: unknown;
  RoleArn?: unknown;
  DeadLetterConfig?: { Arn: unknown };
  RetryPolicy?: { MaximumRetryAttempts: number; MaximumEventAgeInSeconds: number };
  HttpParameters?: { HeaderParameters: Record<string, string> };
  InputTransformer: { InputPathsMap: Record<string, string>; InputTemplate: string };
};

const ruleOf = (template: Synth['template'], name: string): Resource =>
  resourcesOf(template, 'AWS::Events::Rule')[
    logicalId(template, 'AWS::Events::Rule', `DriftlessNotifications${name}Rule`)
  ]!;
const targetOf = (template: Synth['template'], name: string): Target => {
  const targets = ruleOf(template, name).Properties.Targets as Target[];
  expect(targets).toHaveLength(1);
  return targets[0]!;
};
const environmentOf = (template: Synth['template'], fn: string) =>
  (
    functionNamed(template, `Driftless${fn}Function`).Properties.Environment as {
      Variables: Record<string, unknown>;
    }
  ).Variables;

/** An event as the reconciler publishes it and EventBridge delivers it, with text that needs escaping. */
const FULL_EVENT = {
  version: '0',
  id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  'detail-type': 'Sync Failed',
  source: 'driftless',
  account: ACCOUNT,
  time: '2026-05-04T10:00:00Z',
  region: REGION,
  resources: [],
  detail: {
    app: 'shop',
    project: 'team-a',
    cluster: 'prod',
    revision: 'c0ffee1c0ffee1c0ffee1c0ffee1c0ffee1c0ffe',
    previousRevision: 'beef123beef123beef123beef123beef123beef1',
    trigger: { kind: 'webhook', by: 'github', deliveryId: '4f1c7a10' },
    status: 'Failed',
    health: 'Degraded',
    counts: { Created: 0, Configured: 1, Unchanged: 7, Pruned: 0, Failed: 1 },
    error:
      'apply Deployment/shop: admission webhook "policy.example.com" denied the request:\n\timage tag must be pinned (C:\\ is no path) <é & ü>',
    message: 'Deployment shop: 0/3 replicas "ready"',
  },
};

/** A first sync's drift: no previous revision, no error, no message; extra fields the chat messages leave out. */
const SPARSE_EVENT = {
  ...FULL_EVENT,
  'detail-type': 'Drift Detected',
  detail: {
    app: 'web',
    project: 'default',
    cluster: 'staging',
    revision: 'v1.2.3',
    trigger: { kind: 'schedule' },
    status: 'Synced',
    health: 'Healthy',
    counts: { Created: 0, Configured: 0, Unchanged: 3, Pruned: 0, Failed: 0 },
    driftedSince: 1_777_000_000_000,
    drifted: [{ kind: 'ConfigMap', name: 'web', namespace: 'web', reason: 'data changed' }],
  },
};

/** The value at a path of the input paths map (`$.a.b`, `$.detail-type`), or undefined. */
function at(event: unknown, path: string): unknown {
  return path
    .replace(/^\$\./, '')
    .split('.')
    .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], event);
}

/**
 * What EventBridge makes of an input template for an event: a variable inside
 * a JSON string gets the value as escaped string content, one outside it the
 * value's JSON; a path the event lacks gives an empty string.
 */
function transform(transformer: Target['InputTransformer'], event: unknown): string {
  const { InputTemplate: template, InputPathsMap: paths } = transformer;
  let out = '';
  let inString = false;
  for (let i = 0; i < template.length; i++) {
    const c = template[i]!;
    if (c === '<') {
      const end = template.indexOf('>', i);
      const name = template.slice(i + 1, end);
      expect(paths, `variable <${name}>`).toHaveProperty(name);
      const value = at(event, paths[name]!);
      if (inString) {
        const text = value === undefined ? '' : typeof value === 'string' ? value : String(value);
        out += JSON.stringify(text).slice(1, -1);
      } else {
        out += value === undefined ? '""' : JSON.stringify(value);
      }
      i = end;
      continue;
    }
    if (c === '\\' && inString) {
      out += c + template[++i]!;
      continue;
    }
    if (c === '"') inString = !inString;
    out += c;
  }
  return out;
}

/** The construct alone in a stack: enough for what it refuses, and quick. */
function standalone(notifications: NotificationTarget[]): { template: Template } {
  const stack = new Stack(new App(), 'Standalone', { env: { account: ACCOUNT, region: REGION } });
  new DriftlessNotifications(stack, 'Notifications', {
    eventBus: events.EventBus.fromEventBusName(stack, 'Bus', 'default'),
    notifications,
  });
  return { template: Template.fromStack(stack) };
}

const bodyOf = (template: Synth['template'], name: string, event: unknown): unknown =>
  JSON.parse(transform(targetOf(template, name).InputTransformer, event));

describe('Notifications, and the forge feedback props', () => {
  let all: Synth;

  beforeAll(() => {
    all = synth(() => ({
      notifications: TARGETS,
      forgeCredentialsSecretArn: FORGE_ARN,
      appUrl: 'https://driftless.example.com/#/apps/{app}',
      previews: { forks: true },
    }));
  }, 60_000);

  test('the event list matches the events the reconciler publishes', () => {
    type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
    const same: Same<NotificationEvent, DriftlessEventType> = true;
    expect(same).toBe(true);
    expect(DEFAULT_NOTIFICATION_EVENTS).toEqual([
      'Sync Failed',
      'Application Degraded',
      'Rollback Performed',
      'Drift Detected',
    ]);
  });

  test('Slack: a connection, an API destination with the webhook URL, a rule whose input transformer writes the message', () => {
    const { template } = all;
    const connection = logicalId(template, 'AWS::Events::Connection', 'DriftlessNotifications');
    // Slack, Teams and the webhook without authorization share the one connection.
    template.resourceCountIs('AWS::Events::Connection', 1);
    template.hasResourceProperties('AWS::Events::Connection', {
      AuthorizationType: 'API_KEY',
      AuthParameters: {
        ApiKeyAuthParameters: { ApiKeyName: 'x-driftless-notification', ApiKeyValue: 'driftless' },
      },
    });
    const destination = logicalId(
      template,
      'AWS::Events::ApiDestination',
      'DriftlessNotificationsSlack0Destination',
    );
    expect(resourcesOf(template, 'AWS::Events::ApiDestination')[destination]!.Properties).toEqual({
      ConnectionArn: { 'Fn::GetAtt': [connection, 'Arn'] },
      Description: 'Driftless notifications to Slack0 (slack)',
      HttpMethod: 'POST',
      InvocationEndpoint: SLACK_URL,
      InvocationRateLimitPerSecond: 1,
    });

    const rule = ruleOf(template, 'Slack0');
    expect(rule.Properties.EventPattern).toEqual({
      source: ['driftless'],
      'detail-type': DEFAULT_NOTIFICATION_EVENTS,
      detail: { app: ['shop', 'web'] },
    });
    expect(rule.Properties.EventBusName).toBe('default');
    const target = targetOf(template, 'Slack0');
    expect(target.Arn).toEqual({ 'Fn::GetAtt': [destination, 'Arn'] });
    const { InputPathsMap: paths, InputTemplate: input } = target.InputTransformer;
    expect(paths).toMatchObject({
      type: '$.detail-type',
      app: '$.detail.app',
      project: '$.detail.project',
      cluster: '$.detail.cluster',
      revision: '$.detail.revision',
      previousRevision: '$.detail.previousRevision',
      message: '$.detail.message',
      error: '$.detail.error',
    });
    for (const name of [
      'type',
      'app',
      'cluster',
      'revision',
      'previousRevision',
      'message',
      'error',
    ])
      expect(input).toContain(`<${name}>`);
    // Every variable of the map is used, and the template has no other `<…>`.
    expect([...input.matchAll(/<([^>]*)>/g)].map((m) => m[1]).sort()).toEqual(
      expect.arrayContaining(Object.keys(paths)),
    );
    expect(input.replace(/<\w+>/g, '')).not.toMatch(/[<>]/);

    // EventBridge may invoke exactly this destination, and nothing else.
    const role = (target.RoleArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    expect(statementsOf(template, role)).toEqual([
      {
        Effect: 'Allow',
        Action: 'events:InvokeApiDestination',
        Resource: { 'Fn::GetAtt': [destination, 'Arn'] },
      },
    ]);
  });

  test('the Slack message: app, cluster, revisions and the reason, escaped, with or without them', () => {
    const full = bodyOf(all.template, 'Slack0', FULL_EVENT) as { text: string };
    expect(Object.keys(full)).toEqual(['text']);
    expect(full.text.split('\n')).toEqual([
      '*Sync Failed*: shop',
      '*Project:* team-a   *Cluster:* prod',
      `*Revision:* ${FULL_EVENT.detail.previousRevision} → ${FULL_EVENT.detail.revision}`,
      '*Status:* Failed   *Health:* Degraded',
      FULL_EVENT.detail.message,
      ...FULL_EVENT.detail.error.split('\n'),
    ]);
    const sparse = bodyOf(all.template, 'Slack0', SPARSE_EVENT) as { text: string };
    expect(sparse.text).toBe(
      [
        '*Drift Detected*: web',
        '*Project:* default   *Cluster:* staging',
        '*Revision:*  → v1.2.3',
        '*Status:* Synced   *Health:* Healthy',
        '',
        '',
      ].join('\n'),
    );
  });

  test('filters: detail types, projects and names go into the event pattern', () => {
    expect(ruleOf(all.template, 'Teams1').Properties.EventPattern).toEqual({
      source: ['driftless'],
      'detail-type': ['Sync Failed'],
      detail: { project: ['team-a'] },
    });
    // No filter: every application of every project, the default events.
    expect(ruleOf(all.template, 'Pager').Properties.EventPattern).toEqual({
      source: ['driftless'],
      'detail-type': DEFAULT_NOTIFICATION_EVENTS,
    });
  });

  test('Teams: an Adaptive Card in the message attachments (what Workflows webhooks take)', () => {
    const { template } = all;
    template.hasResourceProperties('AWS::Events::ApiDestination', {
      InvocationEndpoint: TEAMS_URL,
      InvocationRateLimitPerSecond: 1,
    });
    const body = bodyOf(template, 'Teams1', FULL_EVENT) as {
      type: string;
      attachments: { contentType: string; content: Record<string, unknown> }[];
    };
    expect(body.type).toBe('message');
    expect(body.attachments).toHaveLength(1);
    const [card] = body.attachments;
    expect(card!.contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(card!.content).toMatchObject({ type: 'AdaptiveCard', version: '1.4' });
    const [title, facts, reason] = card!.content.body as Record<string, unknown>[];
    expect(title).toMatchObject({ type: 'TextBlock', text: 'Sync Failed: shop', weight: 'Bolder' });
    expect(facts).toEqual({
      type: 'FactSet',
      facts: [
        { title: 'Project', value: 'team-a' },
        { title: 'Cluster', value: 'prod' },
        {
          title: 'Revision',
          value: `${FULL_EVENT.detail.previousRevision} → ${FULL_EVENT.detail.revision}`,
        },
        { title: 'Status', value: 'Failed' },
        { title: 'Health', value: 'Degraded' },
      ],
    });
    expect(reason).toMatchObject({
      type: 'TextBlock',
      text: `${FULL_EVENT.detail.message}\n\n${FULL_EVENT.detail.error}`,
      wrap: true,
    });
    expect(() => bodyOf(template, 'Teams1', SPARSE_EVENT)).not.toThrow();
  });

  test('a webhook: the event as local --notify posts it, with id and time; its headers; 10 per second', () => {
    const { template } = all;
    template.hasResourceProperties('AWS::Events::ApiDestination', {
      InvocationEndpoint: HOOK_URL,
      InvocationRateLimitPerSecond: 10,
    });
    const target = targetOf(template, 'Pager');
    expect(target.HttpParameters).toEqual({ HeaderParameters: { 'x-team': 'platform' } });
    for (const event of [FULL_EVENT, SPARSE_EVENT]) {
      expect(bodyOf(template, 'Pager', event)).toEqual({
        source: 'driftless',
        'detail-type': event['detail-type'],
        id: event.id,
        time: event.time,
        detail: event.detail,
      });
    }
  });

  test('a webhook with its own authorization gets a connection of its own', () => {
    const { template } = standalone([
      {
        kind: 'webhook',
        url: HOOK_URL,
        authorization: events.Authorization.apiKey(
          'authorization',
          SecretValue.secretsManager('driftless/hook-token'),
        ),
      },
      { kind: 'slack', webhookUrl: SLACK_URL },
    ]);
    const connections = resourcesOf(template, 'AWS::Events::Connection');
    expect(Object.keys(connections)).toHaveLength(2);
    const own = logicalId(template, 'AWS::Events::Connection', 'NotificationsWebhook0Connection');
    expect(connections[own]!.Properties.AuthParameters).toMatchObject({
      ApiKeyAuthParameters: { ApiKeyName: 'authorization' },
    });
    template.hasResourceProperties('AWS::Events::ApiDestination', {
      InvocationEndpoint: HOOK_URL,
      ConnectionArn: { 'Fn::GetAtt': [own, 'Arn'] },
    });
  });

  test('SNS: a KMS-encrypted topic of its own, email subscriptions, published with the rule’s role', () => {
    const { template } = all;
    const topic = logicalId(template, 'AWS::SNS::Topic', 'DriftlessNotificationsEmailTopic');
    const key = logicalId(template, 'AWS::KMS::Key', 'DriftlessNotificationsTopicKey');
    template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [key, 'Arn'] },
    });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    const emails = Object.values(resourcesOf(template, 'AWS::SNS::Subscription'))
      .map((s) => s.Properties)
      .filter((p) => JSON.stringify(p.TopicArn) === JSON.stringify({ Ref: topic }));
    expect(emails.map((p) => [p.Protocol, p.Endpoint])).toEqual([
      ['email', 'oncall@example.com'],
      ['email', 'lead@example.com'],
    ]);
    expect(all.driftless.notifications!.topics).toHaveLength(1);

    const target = targetOf(template, 'Email');
    expect(target.Arn).toEqual({ Ref: topic });
    const role = (target.RoleArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const statements = statementsOf(template, role);
    expect(statements.map((s) => [actions(s), s.Resource])).toEqual([
      [['sns:Publish'], { Ref: topic }],
      [['kms:Decrypt', 'kms:GenerateDataKey*'], { 'Fn::GetAtt': [key, 'Arn'] }],
    ]);
    // No topic policy or key policy lets the EventBridge service in (any account's rules could use it).
    const policies = JSON.stringify([
      resourcesOf(template, 'AWS::SNS::TopicPolicy'),
      resourcesOf(template, 'AWS::KMS::Key'),
    ]);
    expect(policies).not.toContain('events.amazonaws.com');
  });

  test('the SNS message is an Amazon Q Developer custom notification', () => {
    const body = bodyOf(all.template, 'Email', FULL_EVENT);
    expect(body).toEqual({
      version: '1.0',
      source: 'custom',
      id: FULL_EVENT.id,
      content: {
        textType: 'client-markdown',
        title: 'Sync Failed: shop',
        description: [
          'Project: team-a · Cluster: prod',
          `Revision: ${FULL_EVENT.detail.previousRevision} → ${FULL_EVENT.detail.revision}`,
          'Status: Failed · Health: Degraded',
          FULL_EVENT.detail.message,
          FULL_EVENT.detail.error,
        ].join('\n'),
        keywords: ['team-a', 'prod'],
      },
      metadata: { eventType: 'Sync Failed', summary: 'Sync Failed: shop on prod' },
    });
    expect(bodyOf(all.template, 'Email', SPARSE_EVENT)).toMatchObject({
      content: { title: 'Drift Detected: web' },
    });
  });

  test('what cannot be delivered goes to one encrypted dead-letter queue, and alarms', () => {
    const { template } = all;
    const dlq = logicalId(template, 'AWS::SQS::Queue', 'DriftlessNotificationsDeadLetterQueue');
    template.hasResourceProperties('AWS::SQS::Queue', {
      MessageRetentionPeriod: 14 * 24 * 3600,
      SqsManagedSseEnabled: true,
    });
    for (const name of ['Slack0', 'Teams1', 'Pager', 'Email']) {
      const target = targetOf(template, name);
      expect(target.DeadLetterConfig).toEqual({ Arn: { 'Fn::GetAtt': [dlq, 'Arn'] } });
      expect(target.RetryPolicy).toEqual({
        MaximumRetryAttempts: 50,
        MaximumEventAgeInSeconds: 7200,
      });
    }
    // EventBridge may send to it on behalf of these rules only; plain HTTP is refused.
    const policy = Object.values(resourcesOf(template, 'AWS::SQS::QueuePolicy')).find(
      (p) => JSON.stringify(p.Properties.Queues) === JSON.stringify([{ Ref: dlq }]),
    )!;
    const statements = (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement;
    expect(JSON.stringify(statements)).toContain('aws:SecureTransport');
    const sends = statements.filter((s) => s.Effect === 'Allow');
    expect(sends).toHaveLength(4);
    for (const s of sends) expect(s.Condition).toHaveProperty('ArnEquals.aws:SourceArn');

    const topic = logicalId(template, 'AWS::SNS::Topic', 'DriftlessAlarmTopic');
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [dlq, 'QueueName'] } }],
      AlarmActions: [{ Ref: topic }],
      OKActions: [{ Ref: topic }],
    });
  });

  test('cdk-nag AwsSolutions: no findings left unexplained', () => {
    expect(nagViolations(all.app)).toEqual([]);
  });

  test('the forge secret: in the reconciler’s environment, GetSecretValue on exactly it', () => {
    const { template } = all;
    expect(environmentOf(template, 'Reconciler')).toMatchObject({
      DRIFTLESS_FORGE_CREDENTIALS_SECRET_ARN: FORGE_ARN,
      DRIFTLESS_APP_URL: 'https://driftless.example.com/#/apps/{app}',
    });
    for (const fn of ['Scheduler', 'Webhook', 'Api'])
      expect(environmentOf(template, fn).DRIFTLESS_FORGE_CREDENTIALS_SECRET_ARN).toBeUndefined();
    expect(environmentOf(template, 'Webhook')).toMatchObject({
      DRIFTLESS_PREVIEWS: 'true',
      DRIFTLESS_PREVIEW_FORKS: 'true',
    });
    const reading = (role: string) =>
      statementsOf(template, role).filter((s) => JSON.stringify(s.Resource).includes(FORGE_ARN));
    expect(reading('DriftlessReconcilerRole')).toEqual([
      { Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: FORGE_ARN },
    ]);
    for (const role of ['DriftlessSchedulerRole', 'DriftlessWebhookRole', 'DriftlessApiRole'])
      expect(reading(role)).toEqual([]);
  });

  test('a URL that is not https is refused at synth, naming the prop and not the URL', () => {
    const refused = (target: NotificationTarget, prop: RegExp) => {
      let message = '';
      try {
        standalone([{ kind: 'sns' }, target]);
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).toMatch(prop);
      expect(message).not.toContain('s3cr3t');
    };
    refused(
      { kind: 'slack', webhookUrl: SLACK_URL.replace('https:', 'http:') },
      /^notifications\[1\]\.webhookUrl must be an https:\/\/ URL .*got a http: URL$/,
    );
    refused(
      { kind: 'teams', webhookUrl: 'hooks.slack.com/services/s3cr3t' },
      /^notifications\[1\]\.webhookUrl must be an https:\/\/ URL, got something that is not a URL$/,
    );
    refused(
      { kind: 'webhook', url: 'ftp://example.com/s3cr3t' },
      /^notifications\[1\]\.url must be an https:\/\/ URL/,
    );
  });

  test('empty filters and impossible rates are refused, naming the prop', () => {
    expect(() => standalone([{ kind: 'sns', apps: [] }])).toThrow(
      'notifications[0].apps is empty: leave it out for every application',
    );
    expect(() => standalone([{ kind: 'sns', events: [] }])).toThrow(
      'notifications[0].events is empty',
    );
    expect(() =>
      standalone([{ kind: 'slack', webhookUrl: SLACK_URL, rateLimitPerSecond: 0.5 }]),
    ).toThrow('notifications[0].rateLimitPerSecond must be an integer from 1 to 300, got 0.5');
  });
});

describe('Defaults and refusals', () => {
  let defaults: Synth;

  beforeAll(() => {
    defaults = synth();
  }, 60_000);

  test('no notifications, no forge credentials: none of their resources, previews off', () => {
    const { template, driftless } = defaults;
    expect(driftless.notifications).toBeUndefined();
    for (const type of ['AWS::Events::Connection', 'AWS::Events::ApiDestination', 'AWS::KMS::Key'])
      template.resourceCountIs(type, 0);
    for (const fn of ['Scheduler', 'Webhook', 'Reconciler', 'Api'])
      expect(environmentOf(template, fn).DRIFTLESS_FORGE_CREDENTIALS_SECRET_ARN).toBeUndefined();
    expect(environmentOf(template, 'Webhook')).toMatchObject({
      DRIFTLESS_PREVIEWS: 'false',
      DRIFTLESS_PREVIEW_FORKS: 'false',
    });
  });

  test('appUrl defaults to the management API’s route without the UI, the UI’s page with it', () => {
    const api = logicalId(defaults.template, 'AWS::ApiGatewayV2::Api', 'DriftlessManagementApi');
    expect(JSON.stringify(environmentOf(defaults.template, 'Reconciler').DRIFTLESS_APP_URL)).toBe(
      JSON.stringify({
        'Fn::Join': [
          '',
          [
            'https://',
            { Ref: api },
            `.execute-api.${REGION}.`,
            { Ref: 'AWS::URLSuffix' },
            '/apps/{app}',
          ],
        ],
      }),
    );
    const assets = join(work, 'notifications-ui');
    mkdirSync(assets, { recursive: true });
    writeFileSync(join(assets, 'index.html'), '<!doctype html><title>Driftless</title>');
    const { template } = synth(() => ({ ui: { assetsPath: assets } }));
    const distribution = logicalId(
      template,
      'AWS::CloudFront::Distribution',
      'DriftlessUiHostingDistribution',
    );
    expect(environmentOf(template, 'Reconciler').DRIFTLESS_APP_URL).toEqual({
      'Fn::Join': [
        '',
        ['https://', { 'Fn::GetAtt': [distribution, 'DomainName'] }, '/#/apps/{app}'],
      ],
    });
  });

  test('an appUrl without {app}, or a partial secret ARN, is refused', () => {
    expect(() => synth(() => ({ appUrl: 'https://driftless.example.com/' }))).toThrow(
      'appUrl must contain {app}',
    );
    expect(() =>
      synth(() => ({
        forgeCredentialsSecretArn: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:driftless/forge`,
      })),
    ).toThrow(/^forgeCredentialsSecretArn must be a secret's complete ARN/);
  });
});
