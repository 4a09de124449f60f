import { Duration } from 'aws-cdk-lib';
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { driftlessMetric, type DriftlessMetricName } from './metrics.ts';

export interface DriftlessDashboardProps {
  readonly serviceName: string;
  readonly queue: sqs.IQueue;
  readonly deadLetterQueue: sqs.IQueue;
  readonly webhookApi: apigwv2.IHttpApi;
  readonly functions: Record<string, lambda.IFunction>;
  readonly alarms: cloudwatch.IAlarm[];
}

const period = Duration.minutes(5);

/** One of the functions' metrics over the dashboard's period. */
type MetricOf = (
  name: DriftlessMetricName,
  statistic?: string,
  label?: string,
) => cloudwatch.Metric;

/** One dashboard: outcomes first, then latency, then the plumbing (queue, API, functions). */
export class DriftlessDashboard extends Construct {
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: DriftlessDashboardProps) {
    super(scope, id);
    const m: MetricOf = (name, statistic = 'Sum', label) =>
      driftlessMetric(props.serviceName, name, { statistic, period, label });

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.hours(3),
    });
    this.dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({
        title: 'Alarms',
        alarms: props.alarms,
        width: 24,
        height: 4,
      }),
    );
    this.dashboard.addWidgets(...outcomeWidgets(m));
    this.dashboard.addWidgets(...intakeWidgets(props, m));
    this.dashboard.addWidgets(...functionWidgets(Object.entries(props.functions)));
  }
}

/** What the reconciles did, and how long they took. */
function outcomeWidgets(m: MetricOf): cloudwatch.IWidget[] {
  return [
    new cloudwatch.GraphWidget({
      title: 'Sync outcomes',
      left: [m('SyncSucceeded'), m('SyncFailed'), m('RollbackPerformed')],
      width: 8,
    }),
    new cloudwatch.GraphWidget({
      title: 'Degraded and drift',
      left: [m('AppsDegraded'), m('DriftRepaired')],
      width: 8,
    }),
    new cloudwatch.GraphWidget({
      title: 'Reconcile duration (ms)',
      left: [
        m('ReconcileDuration', 'p50', 'p50'),
        m('ReconcileDuration', 'p95', 'p95'),
        m('ReconcileDuration', 'Maximum', 'max'),
      ],
      width: 8,
    }),
  ];
}

/** How work comes in: the schedule, the queue and the webhooks. */
function intakeWidgets(props: DriftlessDashboardProps, m: MetricOf): cloudwatch.IWidget[] {
  return [
    new cloudwatch.GraphWidget({
      title: 'Scheduler',
      left: [m('AppsEnqueued'), m('AppsDisabled')],
      width: 8,
    }),
    new cloudwatch.GraphWidget({
      title: 'Queue',
      left: [
        props.queue.metricApproximateNumberOfMessagesVisible({ period, label: 'waiting' }),
        props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
          period,
          label: 'dead letters',
        }),
      ],
      right: [props.queue.metricApproximateAgeOfOldestMessage({ period, label: 'oldest (s)' })],
      width: 8,
    }),
    new cloudwatch.GraphWidget({
      title: 'Webhooks',
      left: [
        props.webhookApi.metricCount({ period, statistic: 'Sum', label: 'requests' }),
        props.webhookApi.metricClientError({ period, statistic: 'Sum', label: '4xx' }),
        props.webhookApi.metricServerError({ period, statistic: 'Sum', label: '5xx' }),
        m('WebhookRejected', 'Sum', 'rejected signatures'),
      ],
      width: 8,
    }),
  ];
}

/** The Lambda functions themselves, one line per function. */
function functionWidgets(fns: [string, lambda.IFunction][]): cloudwatch.IWidget[] {
  return [
    new cloudwatch.GraphWidget({
      title: 'Function errors',
      left: fns.map(([name, fn]) => fn.metricErrors({ period, statistic: 'Sum', label: name })),
      width: 8,
    }),
    new cloudwatch.GraphWidget({
      title: 'Function duration p95 (ms)',
      left: fns.map(([name, fn]) => fn.metricDuration({ period, statistic: 'p95', label: name })),
      width: 8,
    }),
    new cloudwatch.GraphWidget({
      title: 'Throttles and concurrency',
      left: fns.map(([name, fn]) =>
        fn.metricThrottles({ period, statistic: 'Sum', label: `${name} throttles` }),
      ),
      right: fns.map(
        ([name, fn]) =>
          new cloudwatch.Metric({
            namespace: 'AWS/Lambda',
            metricName: 'ConcurrentExecutions',
            dimensionsMap: { FunctionName: fn.functionName },
            statistic: 'Maximum',
            period,
            label: `${name} concurrency`,
          }),
      ),
      width: 8,
    }),
  ];
}
