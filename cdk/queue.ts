import { Duration } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

export interface ReconcileQueuesProps {
  /** The reconciler's timeout, which the visibility timeout is derived from. */
  readonly reconcilerTimeout: Duration;
  /** Deliveries of a request before it moves to the dead-letter queue. */
  readonly maxReceiveCount: number;
}

export interface ReconcileQueues {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
}

/**
 * The reconcile queue and its dead-letter queue (docs/architecture.md#the-queue-worker).
 * Standard, not FIFO: the lease, not the queue, prevents double reconciles.
 */
export function reconcileQueues(scope: Construct, props: ReconcileQueuesProps): ReconcileQueues {
  const deadLetterQueue = new sqs.Queue(scope, 'DeadLetterQueue', {
    retentionPeriod: Duration.days(14),
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
  });
  const queue = new sqs.Queue(scope, 'Queue', {
    // Six times the function's timeout: AWS guidance for SQS event sources.
    visibilityTimeout: Duration.seconds(props.reconcilerTimeout.toSeconds() * 6),
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: props.maxReceiveCount },
  });
  return { queue, deadLetterQueue };
}
