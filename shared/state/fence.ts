import { UpdateItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { call, type StateTable } from './client.ts';
import { isConditionalFailure, LeaseLostError } from './errors.ts';
import { headKey } from './keys.ts';
import type { Lease } from './lease-proof.ts';

export interface FenceCondition {
  condition: string;
  names: Record<string, string>;
  values: Record<string, AttributeValue>;
}

/**
 * The condition every state, inventory and history write carries. Each
 * acquisition raises `fence` on the head item, so once another reconciler has
 * taken over, a holder that stalled past its lease fails this check instead of
 * overwriting newer work; the owner check also refuses writes after release.
 * Clocks play no part here: safety holds even when the lease expiry was misjudged.
 */
export function fenced(lease: Lease): FenceCondition {
  return {
    condition: '#fence = :fenceToken AND #leaseOwner = :fenceOwner',
    names: { '#fence': 'fence', '#leaseOwner': 'leaseOwner' },
    values: { ':fenceToken': { N: String(lease.token) }, ':fenceOwner': { S: lease.owner } },
  };
}

export interface HeadUpdate {
  expression: string;
  names?: Record<string, string>;
  values?: Record<string, AttributeValue>;
}

/**
 * One update of the application's head item under the caller's lease. A
 * failed fence is a `LeaseLostError` (with `lostDetail` when given); every
 * other failure is the typed error `call` makes of it.
 */
export async function updateHeadFenced(
  table: StateTable,
  lease: Lease,
  operation: string,
  update: HeadUpdate,
  lostDetail?: string,
): Promise<void> {
  const context = { app: lease.app, operation };
  const fence = fenced(lease);
  try {
    await call(table, context, (client) =>
      client.send(
        new UpdateItemCommand({
          TableName: table.tableName,
          Key: headKey(lease.app),
          UpdateExpression: update.expression,
          ConditionExpression: fence.condition,
          ExpressionAttributeNames: { ...fence.names, ...update.names },
          ExpressionAttributeValues: { ...fence.values, ...update.values },
        }),
      ),
    );
  } catch (err) {
    if (isConditionalFailure(err))
      throw new LeaseLostError({ ...context, table: table.tableName }, lostDetail);
    throw err;
  }
}
