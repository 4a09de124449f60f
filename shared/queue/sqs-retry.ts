import { ChangeMessageVisibilityCommand, type SQSClient } from '@aws-sdk/client-sqs';

/** A Lambda holder keeps a lease at most this long (its 15-minute limit): no wait needs to be longer. */
const MAX_WAIT_SECONDS = 900;

/**
 * How long a message that is to be retried after `retryAfterMs` stays
 * invisible: the hint in whole seconds (at least 1), doubled on each further
 * delivery, so a lease held through a long sync does not use up the
 * deliveries before the dead-letter queue within a minute; plus up to a fifth
 * more, so messages that met the same lease do not all return in the same
 * second and meet it again.
 */
export function retryVisibilitySeconds(
  retryAfterMs: number,
  receiveCount: number,
  random: () => number = Math.random,
): number {
  const backoff = 2 ** Math.max(0, receiveCount - 1);
  const seconds = Math.max(1, Math.ceil((retryAfterMs * backoff) / 1000));
  return Math.min(MAX_WAIT_SECONDS, Math.ceil(seconds * (1 + random() / 5)));
}

/**
 * Makes a received message visible again in `seconds` instead of after the
 * queue's visibility timeout, which is sized for the longest reconcile.
 */
export async function returnMessageIn(
  client: SQSClient,
  queueUrl: string,
  receiptHandle: string,
  seconds: number,
): Promise<void> {
  await client.send(
    new ChangeMessageVisibilityCommand({
      QueueUrl: queueUrl,
      ReceiptHandle: receiptHandle,
      VisibilityTimeout: seconds,
    }),
  );
}
