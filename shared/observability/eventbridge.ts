import { PutEventsCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { EVENT_SOURCE, type DriftlessEvent, type EventPublisher } from './events.ts';

/** Publishes sync events to an EventBridge bus; a rejected entry is an error, not a silent loss. */
export class EventBridgePublisher implements EventPublisher {
  private readonly client: EventBridgeClient;
  private readonly bus: string;

  constructor(client: EventBridgeClient, bus: string) {
    this.client = client;
    this.bus = bus;
  }

  async publish(events: DriftlessEvent[]): Promise<void> {
    if (events.length === 0) return;
    const result = await this.client.send(
      new PutEventsCommand({
        Entries: events.map((e) => ({
          EventBusName: this.bus,
          Source: EVENT_SOURCE,
          DetailType: e.detailType,
          Detail: JSON.stringify(e.detail),
        })),
      }),
    );
    if (result.FailedEntryCount) {
      const reasons = (result.Entries ?? [])
        .filter((e) => e.ErrorCode)
        .map((e) => `${e.ErrorCode}: ${e.ErrorMessage}`);
      throw new Error(
        `EventBridge rejected ${result.FailedEntryCount} event(s): ${reasons.join('; ')}`,
      );
    }
  }
}
