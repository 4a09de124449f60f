import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { DriftlessEvent } from './events.ts';

/** Tells people about what a reconcile did on its own (an automated rollback). */
export interface Notifier {
  notify(event: DriftlessEvent): Promise<void>;
}

/** SNS subjects are at most 100 characters. */
function subjectOf(event: DriftlessEvent): string {
  const { app, cluster } = event.detail;
  return `Driftless: ${event.detailType} for ${app} on ${cluster}`.slice(0, 100);
}

/**
 * Publishes to an SNS topic (the one the CloudWatch alarms notify): a line a
 * person reads in an email, then the event's detail as JSON for subscribers
 * that parse it.
 */
export class SnsNotifier implements Notifier {
  private readonly client: SNSClient;
  private readonly topicArn: string;

  constructor(client: SNSClient, topicArn: string) {
    this.client = client;
    this.topicArn = topicArn;
  }

  async notify(event: DriftlessEvent): Promise<void> {
    const d = event.detail;
    const line = `${d.app} on ${d.cluster}: ${event.detailType} to ${d.revision}${
      d.previousRevision ? ` from ${d.previousRevision}` : ''
    }${d.message ? ` (${d.message})` : ''}`;
    await this.client.send(
      new PublishCommand({
        TopicArn: this.topicArn,
        Subject: subjectOf(event),
        Message: `${line}\n\n${JSON.stringify({ detailType: event.detailType, detail: d }, null, 2)}`,
      }),
    );
  }
}
