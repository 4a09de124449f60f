import { GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { call, type StateTable } from './client.ts';
import { isConditionalFailure } from './errors.ts';
import { updateHeadFenced } from './fence.ts';
import { parseHead, type AppRecord } from './head.ts';
import { headKey } from './keys.ts';
import type { Lease } from './lease-proof.ts';

/**
 * How long a lease outlives its holder's last renewal. The holder renews at a
 * third of it (`withLease`), so it rides out a renewal that fails or a stall
 * of up to two thirds of it (10 s); a holder that dies (`kill -9`, a Lambda
 * timeout) blocks the application for at most this long.
 */
export const DEFAULT_LEASE_TTL_MS = 15_000;

export type AcquireResult =
  | { status: 'acquired'; lease: Lease; record: AppRecord }
  | {
      status: 'busy';
      /** Current holder, when it could still be read. */
      holder?: string;
      /** How long until the holder's lease expires unless renewed. */
      retryAfterMs: number;
    };

export interface AcquireOptions {
  /** Unique per reconcile attempt (e.g. Lambda request id); reusing one re-acquires. */
  owner: string;
  ttlMs: number;
}

/**
 * Takes the application's lease if it is free, expired, or already ours (so
 * an SDK retry of a request that did succeed is not mistaken for contention).
 * The expiry is checked in the condition, never left to DynamoDB TTL. The
 * same write raises the fencing token, so from this moment any earlier holder's
 * writes fail. Returns the head item as it now stands, so the caller has the
 * state without another read. Contention is a `busy` result, not an error.
 */
export async function acquireLease(
  table: StateTable,
  app: string,
  options: AcquireOptions,
): Promise<AcquireResult> {
  const context = { app, operation: 'acquire lease' };
  const now = table.now();
  const expiresAt = now + options.ttlMs;
  try {
    const { Attributes } = await call(table, context, (client) =>
      client.send(
        new UpdateItemCommand({
          TableName: table.tableName,
          Key: headKey(app),
          UpdateExpression:
            'SET leaseOwner = :me, leaseExpiresAt = :expiresAt, leaseAcquiredAt = :now, ' +
            'fence = if_not_exists(fence, :zero) + :one',
          ConditionExpression:
            'attribute_not_exists(leaseExpiresAt) OR leaseExpiresAt < :now OR leaseOwner = :me',
          ExpressionAttributeValues: {
            ':me': { S: options.owner },
            ':expiresAt': { N: String(expiresAt) },
            ':now': { N: String(now) },
            ':zero': { N: '0' },
            ':one': { N: '1' },
          },
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    const record = parseHead(table, app, Attributes ?? {});
    return {
      status: 'acquired',
      lease: { app, owner: options.owner, token: record.fence, expiresAt },
      record,
    };
  } catch (err) {
    if (!isConditionalFailure(err)) throw err;
  }
  return busy(table, app);
}

async function busy(table: StateTable, app: string): Promise<AcquireResult> {
  const { Item } = await call(table, { app, operation: 'acquire lease' }, (client) =>
    client.send(new GetItemCommand({ TableName: table.tableName, Key: headKey(app) })),
  );
  const lease = Item ? parseHead(table, app, Item).lease : undefined;
  if (!lease) return { status: 'busy', retryAfterMs: 0 };
  return {
    status: 'busy',
    holder: lease.owner,
    retryAfterMs: Math.max(0, lease.expiresAt - table.now()),
  };
}

/**
 * Extends the lease from now. Keeps the fencing token: a renewal is not a new
 * acquisition. Refused with `LeaseLostError` once another holder took over or
 * the lease was released.
 */
export async function renewLease(table: StateTable, lease: Lease, ttlMs: number): Promise<Lease> {
  const expiresAt = table.now() + ttlMs;
  await updateHeadFenced(
    table,
    lease,
    'renew lease',
    {
      expression: 'SET leaseExpiresAt = :expiresAt',
      values: { ':expiresAt': { N: String(expiresAt) } },
    },
    `lease of ${lease.owner} (token ${lease.token}) was taken over or released`,
  );
  return { ...lease, expiresAt };
}

/** Frees the lease for the next reconciler at once. Only the holder may; anyone else gets `LeaseLostError`. */
export async function releaseLease(table: StateTable, lease: Lease): Promise<void> {
  await updateHeadFenced(
    table,
    lease,
    'release lease',
    { expression: 'REMOVE leaseOwner, leaseExpiresAt, leaseAcquiredAt' },
    `${lease.owner} (token ${lease.token}) does not hold the lease`,
  );
}
