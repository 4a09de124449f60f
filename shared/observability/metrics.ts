import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { MessageOutcome } from '../worker/process-message.ts';

/**
 * Fleet-level counts only: a metric per application would cost more than the
 * compute (docs/aws.md#cost), so per-app detail lives in DynamoDB and the logs.
 */
export function recordReconcileMetrics(metrics: Metrics, outcome: MessageOutcome): void {
  if (outcome.kind === 'rollout') {
    // One reconcile per destination the rollout ran.
    for (const run of outcome.outcome.status === 'done' ? outcome.outcome.runs : [])
      if (run.outcome.status === 'done')
        metrics.addMetric(
          'ReconcileDuration',
          MetricUnit.Milliseconds,
          run.outcome.result.timings.totalMs,
        );
  } else if (outcome.kind === 'done' && outcome.outcome.status === 'done') {
    const { result } = outcome.outcome;
    metrics.addMetric('ReconcileDuration', MetricUnit.Milliseconds, result.timings.totalMs);
  } else return;
  for (const event of outcome.events) {
    switch (event.detailType) {
      case 'Sync Succeeded':
        metrics.addMetric('SyncSucceeded', MetricUnit.Count, 1);
        break;
      case 'Sync Failed':
        metrics.addMetric('SyncFailed', MetricUnit.Count, 1);
        break;
      case 'Application Degraded':
        metrics.addMetric('AppsDegraded', MetricUnit.Count, 1);
        break;
      case 'Drift Repaired':
        metrics.addMetric('DriftRepaired', MetricUnit.Count, 1);
        break;
      case 'Rollback Performed':
        metrics.addMetric('RollbackPerformed', MetricUnit.Count, 1);
        break;
    }
  }
}
