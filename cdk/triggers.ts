import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

export interface TriggersProps {
  readonly scheduler: lambda.IFunction;
  readonly reconciler: lambda.IFunction;
  readonly queue: sqs.IQueue;
  /** @default - every 3 minutes */
  readonly schedule?: events.Schedule;
  /** The event source's maximum concurrency, as checked by reconcileConcurrency(). */
  readonly maxConcurrency: number;
}

/**
 * The reconcile concurrency, checked before anything is built so the error
 * names the prop: the event source's own check names `maxConcurrency`, and
 * lets fractions through.
 */
export function reconcileConcurrency(value = 20): number {
  if (!Number.isInteger(value) || value < 2 || value > 1000) {
    throw new Error(
      `reconcileConcurrency must be an integer from 2 to 1000 (SQS maximum concurrency), got ${value}`,
    );
  }
  return value;
}

/** What starts work: the schedule ticks the scheduler, the queue feeds the reconciler. */
export function addTriggers(scope: Construct, props: TriggersProps): void {
  new events.Rule(scope, 'Schedule', {
    description: 'Driftless reconcile schedule',
    schedule: props.schedule ?? events.Schedule.rate(Duration.minutes(3)),
    // A tick that could not be delivered in time is superseded by the next one.
    targets: [
      new targets.LambdaFunction(props.scheduler, {
        retryAttempts: 2,
        maxEventAge: Duration.minutes(2),
      }),
    ],
  });
  props.reconciler.addEventSource(
    new SqsEventSource(props.queue, {
      batchSize: 5,
      reportBatchItemFailures: true,
      maxConcurrency: props.maxConcurrency,
    }),
  );
}
