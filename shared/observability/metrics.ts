import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { DriftlessEvent } from './events.ts';

/**
 * Fleet-level counts only: a metric per application would cost more than the
 * compute (docs/aws.md#cost), so per-app detail lives in DynamoDB and the logs.
 */
/** What metrics need of a message's outcome (the worker's OutcomeReport has it). */
export interface CountedOutcome {
  /** One per application run; `timings` for those that ran the engine. */
  runs: { timings?: { totalMs: number } }[];
  events: DriftlessEvent[];
}

export function recordReconcileMetrics(metrics: Metrics, outcome: CountedOutcome): void {
  for (const run of outcome.runs)
    if (run.timings)
      metrics.addMetric('ReconcileDuration', MetricUnit.Milliseconds, run.timings.totalMs);
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
      case 'Drift Detected':
        metrics.addMetric('DriftDetected', MetricUnit.Count, 1);
        break;
      case 'Rollback Performed':
        metrics.addMetric('RollbackPerformed', MetricUnit.Count, 1);
        break;
    }
  }
}
