import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { call, type StateTable } from './client.ts';
import { isConditionalFailure } from './errors.ts';
import { deliveryKey } from './keys.ts';
import { TTL_ATTRIBUTE } from './table-definition.ts';

export interface DeliveryOptions {
  /** Webhook provider, e.g. `github`. */
  provider: string;
  /**
   * What identifies the delivery: the webhook layer's digest of the body, or
   * its `#enqueued` marker (shared/webhooks/dedupe.ts), not the provider's
   * delivery id header, which a replay can change freely.
   */
  id: string;
  /** How long a repeat counts as a duplicate; providers redeliver within hours. */
  ttlSeconds: number;
}

/**
 * Records a webhook delivery; true the first time, false for a duplicate.
 * The condition treats an expired record as absent, because DynamoDB TTL
 * deletes expired items only eventually (often days later); the TTL attribute
 * is there for clean-up alone.
 */
export async function recordDelivery(
  table: StateTable,
  options: DeliveryOptions,
): Promise<boolean> {
  const nowMs = table.now();
  const nowSeconds = Math.floor(nowMs / 1000);
  try {
    await call(
      table,
      { operation: `record ${options.provider} delivery ${options.id}` },
      (client) =>
        client.send(
          new PutItemCommand({
            TableName: table.tableName,
            Item: {
              ...deliveryKey(options.provider, options.id),
              [TTL_ATTRIBUTE]: { N: String(nowSeconds + options.ttlSeconds) },
              receivedAt: { N: String(nowMs) },
            },
            ConditionExpression: 'attribute_not_exists(pk) OR #expiresAt <= :now',
            ExpressionAttributeNames: { '#expiresAt': TTL_ATTRIBUTE },
            ExpressionAttributeValues: { ':now': { N: String(nowSeconds) } },
          }),
        ),
    );
    return true;
  } catch (err) {
    if (isConditionalFailure(err)) return false;
    throw err;
  }
}
