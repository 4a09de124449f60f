import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { messageSubject, type QueueMessageInput, type ReconcileQueue } from './message.ts';

const BATCH = 10;

/** Sends reconcile requests to SQS, ten per request; a partly failed batch throws with the failed ids. */
export class SqsReconcileQueue implements ReconcileQueue {
  private readonly client: SQSClient;
  private readonly queueUrl: string;

  constructor(client: SQSClient, queueUrl: string) {
    this.client = client;
    this.queueUrl = queueUrl;
  }

  async send(messages: { message: QueueMessageInput; delaySeconds?: number }[]): Promise<void> {
    for (let i = 0; i < messages.length; i += BATCH) {
      const batch = messages.slice(i, i + BATCH);
      const result = await this.client.send(
        new SendMessageBatchCommand({
          QueueUrl: this.queueUrl,
          Entries: batch.map((m, j) => ({
            Id: String(i + j),
            MessageBody: JSON.stringify(m.message),
            ...(m.delaySeconds
              ? { DelaySeconds: Math.min(900, Math.max(0, Math.round(m.delaySeconds))) }
              : {}),
          })),
        }),
      );
      if (result.Failed?.length) {
        const failed = result.Failed.map(
          (f) =>
            `${batch[Number(f.Id) - i] ? messageSubject(batch[Number(f.Id) - i]!.message) : f.Id}: ${f.Message ?? f.Code}`,
        );
        throw new Error(
          `could not enqueue ${failed.length} reconcile request(s): ${failed.join('; ')}`,
        );
      }
    }
  }
}
