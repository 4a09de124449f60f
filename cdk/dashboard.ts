import { Duration } from 'aws-cdk-lib';
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { driftlessMetric } from './metrics.ts';

export interface DriftlessDashboardProps {
  readonly serviceName: string;
  readonly queue: sqs.IQueue;
  readonly deadLetterQueue: sqs.IQueue;
  readonly webhookApi: apigwv2.IHttpApi;
  readonly functions: Record<string, lambda.IFunction>;
  readonly alarms: cloudwatch.IAlarm[];
}

/** One dashboard: outcomes first, then latency, then the plumbing (queue, API, functions). */
export class DriftlessDashboard extends Construct {
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: DriftlessDashboardProps) {
    super(scope, id);
    const period = Duration.minutes(5);
    const m = (name: Parameters<typeof driftlessMetric>[1], statistic = 'Sum', label?: string) =>
      driftlessMetric(props.serviceName, name, { statistic, period, ...(label ? { label } : {}) });
    const fns = Object.entries(props.functions);

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
    this.dashboard.addWidgets(
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
    );
    this.dashboard.addWidgets(
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
    );
    this.dashboard.addWidgets(
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
    );
  }
}
