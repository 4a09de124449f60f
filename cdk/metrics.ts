import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';

/** The EMF namespace the functions write to (POWERTOOLS_METRICS_NAMESPACE). */
export const METRICS_NAMESPACE = 'Driftless';

/** Fleet-level metrics the functions emit (shared/observability/metrics.ts). */
export type DriftlessMetricName =
  | 'SyncSucceeded'
  | 'SyncFailed'
  | 'AppsDegraded'
  | 'DriftRepaired'
  | 'ReconcileDuration'
  | 'RollbackPerformed'
  | 'WebhookRejected'
  | 'AppsEnqueued'
  | 'AppsDisabled';

/**
 * One of the functions' metrics, with exactly the dimension set Powertools
 * Metrics writes: `service` (from POWERTOOLS_SERVICE_NAME) and nothing else.
 * CloudWatch matches dimension sets exactly, so an alarm with more or fewer
 * dimensions would watch a metric nobody writes.
 */
export function driftlessMetric(
  serviceName: string,
  metricName: DriftlessMetricName,
  options: { statistic?: string; period?: Duration; label?: string } = {},
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap: { service: serviceName },
    statistic: options.statistic ?? 'Sum',
    period: options.period ?? Duration.minutes(5),
    ...(options.label ? { label: options.label } : {}),
  });
}
