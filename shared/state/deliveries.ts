import { GetItemCommand, PutItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { call, type StateTable } from './client.ts';
import { deliveryKey } from './keys.ts';
import { TTL_ATTRIBUTE } from './table-definition.ts';

export interface Delivery {
  /** Webhook provider, e.g. `github`. */
  provider: string;
  /**
   * What identifies the delivery: the webhook layer's digest of the body
   * (shared/webhooks/dedupe.ts), not the provider's delivery id header,
   * which a replay can change freely.
   */
  id: string;
}

export interface DeliveryOptions extends Delivery {
  /** How long a repeat counts as a duplicate; providers redeliver within hours. */
  ttlSeconds: number;
}

/**
 * Whether the delivery is recorded and its record has not expired. An expired
 * record counts as absent, because DynamoDB TTL deletes expired items only
 * eventually (often days later); the TTL attribute is there for clean-up alone.
 */
export async function isDeliveryRecorded(table: StateTable, delivery: Delivery): Promise<boolean> {
  const { Item } = await call(
    table,
    { operation: `read ${delivery.provider} delivery ${delivery.id}` },
    (client) =>
      client.send(
        new GetItemCommand({
          TableName: table.tableName,
          Key: deliveryKey(delivery.provider, delivery.id),
          // A redelivery can follow the record within milliseconds.
          ConsistentRead: true,
        }),
      ),
  );
  return Item !== undefined && !expired(Item, Math.floor(table.now() / 1000));
}

/** Expired once the epoch-seconds TTL attribute is no longer in the future. */
function expired(item: Record<string, AttributeValue>, nowSeconds: number): boolean {
  const expiresAt = item[TTL_ATTRIBUTE]?.N;
  return expiresAt !== undefined && Number(expiresAt) <= nowSeconds;
}

/**
 * Records a delivery for `ttlSeconds` from now. Unconditional: recording one
 * twice (copies that were enqueued together) only restarts its expiry.
 */
export async function recordDelivery(table: StateTable, options: DeliveryOptions): Promise<void> {
  const nowMs = table.now();
  await call(table, { operation: `record ${options.provider} delivery ${options.id}` }, (client) =>
    client.send(
      new PutItemCommand({
        TableName: table.tableName,
        Item: {
          ...deliveryKey(options.provider, options.id),
          [TTL_ATTRIBUTE]: { N: String(Math.floor(nowMs / 1000) + options.ttlSeconds) },
          recordedAt: { N: String(nowMs) },
        },
      }),
    ),
  );
}
