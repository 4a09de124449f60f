import { Duration, RemovalPolicy, SecretValue, Token, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  slackMessage,
  snsMessage,
  teamsMessage,
  webhookMessage,
  type NotificationInput,
} from './notification-messages.ts';

/** Detail types of the reconciler's events (shared/observability/events.ts, which cdk/ may not import). */
export type NotificationEvent =
  | 'Sync Succeeded'
  | 'Sync Failed'
  | 'Application Degraded'
  | 'Drift Repaired'
  | 'Drift Detected'
  | 'Rollback Performed';

/** What a target gets unless it says otherwise: what someone should look at. */
export const DEFAULT_NOTIFICATION_EVENTS: readonly NotificationEvent[] = [
  'Sync Failed',
  'Application Degraded',
  'Rollback Performed',
  'Drift Detected',
];

/** The source of the reconciler's events (EVENT_SOURCE in shared/observability/events.ts). */
const EVENT_SOURCE = 'driftless';

/** Which events a target gets, and what its resources are called. */
export interface NotificationFilter {
  /**
   * The events to send, by detail type.
   *
   * @default - DEFAULT_NOTIFICATION_EVENTS: Sync Failed, Application Degraded,
   *   Rollback Performed, Drift Detected
   */
  readonly events?: NotificationEvent[];
  /**
   * Only these applications, by name.
   *
   * @default - every application
   */
  readonly apps?: string[];
  /**
   * Only the applications of these projects (`spec.project`; `default` when unset).
   *
   * @default - every project
   */
  readonly projects?: string[];
  /**
   * The id of the target's resources, unique among the targets. Give one so
   * that reordering the list keeps them, an SNS topic with its confirmed
   * subscriptions above all.
   *
   * @default - the kind and the position in the list: `Slack0`, `Sns1`
   */
  readonly name?: string;
}

/** A Slack incoming webhook (an app's "Incoming Webhooks" feature). */
export interface SlackNotification extends NotificationFilter {
  readonly kind: 'slack';
  /** `https://hooks.slack.com/services/…`: the URL is the webhook's secret. */
  readonly webhookUrl: string;
  /**
   * Most requests per second to the webhook; EventBridge holds back the rest.
   *
   * @default 1 (Slack's limit for incoming webhooks)
   */
  readonly rateLimitPerSecond?: number;
}

/** A Microsoft Teams Workflows webhook ("Post to a channel when a webhook request is received"). */
export interface TeamsNotification extends NotificationFilter {
  readonly kind: 'teams';
  /** The workflow's HTTP POST URL: its `sig` parameter is the secret. */
  readonly webhookUrl: string;
  /**
   * Most requests per second to the webhook.
   *
   * @default 1
   */
  readonly rateLimitPerSecond?: number;
}

/** Any HTTPS endpoint, which gets each event's JSON. */
export interface WebhookNotification extends NotificationFilter {
  readonly kind: 'webhook';
  /** The endpoint, https only. */
  readonly url: string;
  /**
   * Headers of every request. They are stored in the template as they are: a
   * secret belongs in `authorization`.
   *
   * @default - none
   */
  readonly headers?: Record<string, string>;
  /**
   * How EventBridge authenticates to the endpoint (an API key header, basic
   * or OAuth client credentials), kept in the connection's secret.
   *
   * @default - a fixed, meaningless API key header (`x-driftless-notification: driftless`)
   */
  readonly authorization?: events.Authorization;
  /**
   * Most requests per second to the endpoint.
   *
   * @default 10
   */
  readonly rateLimitPerSecond?: number;
}

/**
 * A new SNS topic, for email and for Amazon Q Developer in chat applications
 * (subscribe it in a channel configuration). Encrypted with a customer
 * managed KMS key, which EventBridge is allowed to use.
 */
export interface SnsNotification extends NotificationFilter {
  readonly kind: 'sns';
  /**
   * Email addresses to subscribe (each must confirm).
   *
   * @default - none
   */
  readonly emails?: string[];
}

export type NotificationTarget =
  SlackNotification | TeamsNotification | WebhookNotification | SnsNotification;

export interface DriftlessNotificationsProps {
  /** The bus the reconciler publishes its events to. */
  readonly eventBus: events.IEventBus;
  /** Where events go: one rule each. */
  readonly notifications: NotificationTarget[];
  /**
   * Told (ALARM and OK) when notifications could not be delivered and wait
   * in the dead-letter queue.
   *
   * @default - no alarm
   */
  readonly alarmTopic?: sns.ITopic;
}

/**
 * How long EventBridge keeps trying a target (with backoff) before the event
 * goes to the dead-letter queue: a message hours late is still worth reading,
 * and an endpoint that refuses for two hours is worth an alarm. Refusals that
 * cannot heal (400, 403, 404) go there at once.
 */
const RETRY = { retryAttempts: 50, maxEventAge: Duration.hours(2) };

/**
 * Driftless's events to chat and email (docs/notifications.md): one EventBridge
 * rule per target, matching its detail types, applications and projects.
 * HTTP targets are API destinations whose input transformer writes the
 * message, so no function of ours runs; SNS targets publish to a topic of
 * their own. What cannot be delivered waits in one dead-letter queue.
 */
export class DriftlessNotifications extends Construct {
  readonly rules: events.Rule[] = [];
  /** The SNS targets' topics, in the order of the list. */
  readonly topics: sns.Topic[] = [];
  readonly deadLetterQueue: sqs.Queue;
  private sharedConnection?: events.Connection;
  private topicKey?: kms.Key;

  constructor(scope: Construct, id: string, props: DriftlessNotificationsProps) {
    super(scope, id);
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      retentionPeriod: Duration.days(14),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        "This queue is itself a dead-letter queue: the notification rules' targets send it what they could not deliver (an EventBridge target DLQ, which cdk-nag does not recognize as it only follows SQS redrive policies).",
    });
    props.notifications.forEach((target, index) => {
      const prop = `notifications[${index}]`;
      const name = target.name ?? `${target.kind[0]!.toUpperCase()}${target.kind.slice(1)}${index}`;
      const rule = new events.Rule(this, `${name}Rule`, {
        description: `Driftless notifications to ${name} (${target.kind})`,
        eventBus: props.eventBus,
        eventPattern: eventPattern(target, prop),
      });
      rule.addTarget(
        target.kind === 'sns'
          ? this.snsTarget(target, name, rule)
          : this.apiDestinationTarget(target, name, prop),
      );
      this.rules.push(rule);
    });
    if (props.alarmTopic) this.alarmOnUndelivered(props.alarmTopic);
  }

  /**
   * A topic of the target's own. The rule publishes with its own role
   * (sns:Publish on this topic, the key for it), not through a topic policy
   * for the EventBridge service, which any account's rule could use.
   */
  private snsTarget(target: SnsNotification, name: string, rule: events.Rule): events.IRuleTarget {
    const topic = new sns.Topic(this, `${name}Topic`, {
      displayName: `Driftless notifications (${name})`,
      masterKey: this.key(),
      enforceSSL: true,
    });
    for (const email of target.emails ?? [])
      topic.addSubscription(new subscriptions.EmailSubscription(email));
    this.topics.push(topic);
    Validations.of(rule).acknowledge({
      id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
      reason:
        "Publishing to a KMS-encrypted topic needs kms:GenerateDataKey (SNS's own grant names the action family); the statement is limited to this construct's topic key.",
    });
    return new targets.SnsTopic(topic, {
      message: snsMessage(),
      authorizeUsingRole: true,
      deadLetterQueue: this.deadLetterQueue,
      ...RETRY,
    });
  }

  /** An API destination to the target's URL, with the message its input transformer writes. */
  private apiDestinationTarget(
    target: Exclude<NotificationTarget, SnsNotification>,
    name: string,
    prop: string,
  ): events.IRuleTarget {
    const endpoint = httpEndpoint(target, prop);
    const destination = new events.ApiDestination(this, `${name}Destination`, {
      description: `Driftless notifications to ${name} (${target.kind})`,
      connection:
        target.kind === 'webhook' && target.authorization
          ? new events.Connection(this, `${name}Connection`, {
              description: `Driftless notifications to ${name}`,
              authorization: target.authorization,
            })
          : this.connection(),
      endpoint: endpoint.url,
      httpMethod: events.HttpMethod.POST,
      rateLimitPerSecond: endpoint.rateLimitPerSecond,
    });
    return new targets.ApiDestination(destination, {
      event: endpoint.message,
      ...(target.kind === 'webhook' && target.headers ? { headerParameters: target.headers } : {}),
      deadLetterQueue: this.deadLetterQueue,
      ...RETRY,
    });
  }

  /**
   * The connection of the endpoints that need no authentication of ours.
   * EventBridge requires every API destination to have one, with
   * credentials; Slack and Teams webhook URLs carry their own secret, so this
   * one sends a fixed API key header that means nothing and that they ignore.
   */
  private connection(): events.Connection {
    this.sharedConnection ??= new events.Connection(this, 'Connection', {
      description: 'Driftless notifications to webhooks whose URL is their secret',
      authorization: events.Authorization.apiKey(
        'x-driftless-notification',
        SecretValue.unsafePlainText('driftless'),
      ),
    });
    return this.sharedConnection;
  }

  /**
   * The SNS topics' key: customer managed, as EventBridge does not support
   * publishing to topics under the AWS managed SNS key; one for all topics
   * (USD 1/month). It protects messages only while SNS holds them, so it
   * goes with the stack.
   */
  private key(): kms.Key {
    this.topicKey ??= new kms.Key(this, 'TopicKey', {
      description: 'Driftless notification topics',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    return this.topicKey;
  }

  private alarmOnUndelivered(topic: sns.ITopic): void {
    const alarm = new cloudwatch.Alarm(this, 'Undelivered', {
      alarmDescription:
        'Notifications could not be delivered (an endpoint refused them or was down for two hours) and wait in the notifications dead-letter queue. Its messages name the rule and the error; fix the target, then redrive or purge the queue.',
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        statistic: 'Maximum',
        period: Duration.minutes(5),
      }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const action = new actions.SnsAction(topic);
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
  }
}

/** The rule's pattern: the target's detail types, and its applications and projects when given. */
function eventPattern(target: NotificationFilter, prop: string): events.EventPattern {
  const nonEmpty = (list: string[] | undefined, key: string, meaning: string) => {
    if (list && list.length === 0)
      throw new Error(`${prop}.${key} is empty: leave it out for ${meaning}`);
    return list;
  };
  const detailTypes = nonEmpty(target.events, 'events', 'the default events') ?? [
    ...DEFAULT_NOTIFICATION_EVENTS,
  ];
  const apps = nonEmpty(target.apps, 'apps', 'every application');
  const projects = nonEmpty(target.projects, 'projects', 'every project');
  return {
    source: [EVENT_SOURCE],
    detailType: detailTypes,
    ...(apps || projects
      ? { detail: { ...(apps ? { app: apps } : {}), ...(projects ? { project: projects } : {}) } }
      : {}),
  };
}

interface HttpEndpoint {
  readonly url: string;
  readonly rateLimitPerSecond: number;
  readonly message: NotificationInput;
}

/** An HTTP target's URL (checked), rate and message. */
function httpEndpoint(
  target: Exclude<NotificationTarget, SnsNotification>,
  prop: string,
): HttpEndpoint {
  const [key, url, defaultRate, message] =
    target.kind === 'webhook'
      ? ['url', target.url, 10, webhookMessage()]
      : target.kind === 'slack'
        ? ['webhookUrl', target.webhookUrl, 1, slackMessage()]
        : ['webhookUrl', target.webhookUrl, 1, teamsMessage()];
  const rate = target.rateLimitPerSecond ?? defaultRate;
  if (!Number.isInteger(rate) || rate < 1 || rate > 300)
    throw new Error(`${prop}.rateLimitPerSecond must be an integer from 1 to 300, got ${rate}`);
  return { url: httpsUrl(url, `${prop}.${key}`), rateLimitPerSecond: rate, message };
}

/**
 * The URL if it is https. The error names the prop, not the URL: a webhook
 * URL is a secret. A token (an SSM parameter, say) is checked by EventBridge
 * at deploy time instead.
 */
function httpsUrl(url: string, prop: string): string {
  if (Token.isUnresolved(url)) return url;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`${prop} must be an https:// URL, got something that is not a URL`);
  }
  if (parsed.protocol !== 'https:')
    throw new Error(
      `${prop} must be an https:// URL (API destinations call HTTPS only), got a ${parsed.protocol} URL`,
    );
  return url;
}
