import { Duration } from 'aws-cdk-lib';
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { driftlessMetric, type DriftlessMetricName } from './metrics.ts';

export interface DriftlessAlarmsProps {
  readonly serviceName: string;
  readonly deadLetterQueue: sqs.IQueue;
  readonly webhookApi: apigwv2.IHttpApi;
  readonly scheduler: lambda.IFunction;
  readonly topic: sns.ITopic;
  /** p95 reconcile duration above which the duration alarm fires. */
  readonly reconcileDurationThreshold: Duration;
}

const FIVE_MINUTES = Duration.minutes(5);

/**
 * The operational alarms. Every one notifies the topic on ALARM and on OK,
 * and treats missing data as fine: no reconciles (a quiet fleet) is not an
 * incident, and EMF metrics only exist for periods in which something happened.
 */
export class DriftlessAlarms extends Construct {
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: DriftlessAlarmsProps) {
    super(scope, id);
    this.addReconcileAlarms(props);
    this.addIntakeAlarms(props);
    const action = new actions.SnsAction(props.topic);
    for (const alarm of this.alarms) {
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
    }
  }

  /** Reconciles that failed, degraded, repaired drift or ran slow. */
  private addReconcileAlarms(props: DriftlessAlarmsProps): void {
    const m = (name: DriftlessMetricName, statistic = 'Sum') =>
      driftlessMetric(props.serviceName, name, { statistic, period: FIVE_MINUTES });
    this.add('DeadLetterQueueNotEmpty', {
      // Each message here is a reconcile request that failed every delivery.
      alarmDescription:
        'Reconcile requests reached the dead-letter queue: they failed on every delivery. Inspect the reconciler logs, then redrive or purge the DLQ.',
      metric: props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        statistic: 'Maximum',
        period: FIVE_MINUTES,
      }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
    });
    this.add('SyncFailures', {
      // Two bad 5-minute periods out of three: one failed attempt that the
      // next tick repairs is not worth a page, a failing app is.
      alarmDescription:
        'Syncs are failing (SyncFailed in 2 of the last 3 five-minute periods). `GET /apps` lists the failing applications and their last error.',
      metric: m('SyncFailed'),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
    });
    this.add('AppsDegraded', {
      // Health settles after a rollout, so only a degradation that lasts 15
      // minutes alarms.
      alarmDescription:
        'Applications have been Degraded for 15 minutes (AppsDegraded in 3 consecutive five-minute periods).',
      metric: m('AppsDegraded'),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 3,
    });
    this.add('DriftRepaired', {
      // Drift means someone or something changed a cluster outside Git.
      // Driftless repaired it, but the change came from somewhere.
      alarmDescription:
        'Driftless reverted changes made to a cluster outside Git (DriftRepaired). Find who changed it: the application history names the objects.',
      metric: m('DriftRepaired'),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
    });
    this.add('ReconcileDuration', {
      alarmDescription: `Reconciles are slow: p95 ReconcileDuration above ${props.reconcileDurationThreshold.toHumanString()} for 15 minutes.`,
      metric: m('ReconcileDuration', 'p95'),
      threshold: props.reconcileDurationThreshold.toMilliseconds(),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
    });
  }

  /** Work that stopped coming in: webhooks rejected or failing, a failing scheduler. */
  private addIntakeAlarms(props: DriftlessAlarmsProps): void {
    // The webhook API serves nothing but webhooks, so its own 4xx/5xx metrics
    // (dimension ApiId) are the webhook's: rejected signatures, unknown
    // providers, and failures to enqueue.
    this.add('Webhook4xx', {
      alarmDescription:
        'The webhook endpoint rejected 10 or more requests in 5 minutes: a wrong webhook secret, or someone probing the endpoint.',
      metric: props.webhookApi.metricClientError({ period: FIVE_MINUTES, statistic: 'Sum' }),
      threshold: 10,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
    });
    this.add('Webhook5xx', {
      alarmDescription:
        'The webhook endpoint answered 5xx: pushes are not being turned into reconciles (the schedule still catches up).',
      metric: props.webhookApi.metricServerError({ period: FIVE_MINUTES, statistic: 'Sum' }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
    });
    // A scheduler that fails enqueues nothing, so no sync metric ever reports
    // a problem: this is the alarm for "Driftless silently stopped".
    this.add('SchedulerErrors', {
      alarmDescription:
        'The scheduler failed on 2 of the last 3 ticks: nothing is being reconciled on schedule (often an unreadable configuration repository).',
      metric: props.scheduler.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum' }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
    });
  }

  private add(id: string, props: cloudwatch.AlarmProps): void {
    this.alarms.push(
      new cloudwatch.Alarm(this, id, {
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        ...props,
      }),
    );
  }
}
