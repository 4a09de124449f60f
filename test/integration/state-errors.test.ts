import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { recordDelivery } from '../../shared/state/deliveries.ts';
import { ensureTable } from '../../shared/state/ensure-table.ts';
import {
  AccessDeniedError,
  CorruptStateError,
  TableNotFoundError,
  ThrottledError,
} from '../../shared/state/errors.ts';
import { readApp } from '../../shared/state/head.ts';
import { readInventory } from '../../shared/state/inventory-store.ts';
import { headKey } from '../../shared/state/keys.ts';
import { acquireLease } from '../../shared/state/lease.ts';
import { uniqueName } from '../harness/context.ts';
import { startFaultProxy, type FaultProxy } from './fixtures/dynamo-fault-proxy.ts';
import { localStateTable } from './fixtures/state-table.ts';

describe('state: errors', () => {
  const { endpoint, tableName } = inject('dynamo');
  const table = localStateTable(endpoint, tableName);
  const proxies: FaultProxy[] = [];
  afterAll(async () => {
    table.client.destroy();
    await Promise.all(proxies.map((p) => p.stop()));
  });

  async function behindProxy(maxAttempts?: number) {
    const proxy = await startFaultProxy(endpoint);
    proxies.push(proxy);
    return { proxy, table: localStateTable(proxy.endpoint, tableName, { maxAttempts }) };
  }

  it('a missing table is a typed error naming the table and the app', async () => {
    const missing = localStateTable(endpoint, uniqueName('no-such-table'));
    try {
      const error = await acquireLease(missing, 'guestbook', { owner: 'me', ttlMs: 1_000 }).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(TableNotFoundError);
      expect(error).toMatchObject({
        code: 'TABLE_NOT_FOUND',
        table: missing.tableName,
        app: 'guestbook',
      });
      expect((error as Error).message).toContain(missing.tableName);
      expect((error as Error).message).toContain('guestbook');
      await expect(readInventory(missing, 'guestbook')).rejects.toBeInstanceOf(TableNotFoundError);
      await expect(
        recordDelivery(missing, { provider: 'github', id: 'x', ttlSeconds: 60 }),
      ).rejects.toMatchObject({ code: 'TABLE_NOT_FOUND' });
      // A reader that only needs the table to be there is told at once, not after the wait for ACTIVE.
      const started = Date.now();
      await expect(
        ensureTable(missing.client, missing.tableName, { create: false }),
      ).rejects.toThrow(`table ${missing.tableName} does not exist`);
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      missing.client.destroy();
    }
  });

  it('access denied by IAM (answered by a fault proxy: dynalite has no IAM) is a typed error', async () => {
    const { proxy, table: denied } = await behindProxy();
    proxy.fail(
      'AccessDeniedException',
      100,
      `User: arn:aws:sts::123456789012:assumed-role/reconciler is not authorized to perform: dynamodb:UpdateItem`,
    );
    const error = await acquireLease(denied, 'guestbook', { owner: 'me', ttlMs: 1_000 }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AccessDeniedError);
    expect(error).toMatchObject({ code: 'ACCESS_DENIED', table: tableName, app: 'guestbook' });
    expect((error as Error).message).toContain('dynamodb:UpdateItem');
    expect(proxy.requests).toBe(1); // not retried
    denied.client.destroy();
  });

  it('throttling is retried with backoff, and reported as a typed error once retries run out', async () => {
    const { proxy, table: throttled } = await behindProxy();
    const app = uniqueName('throttled');
    proxy.fail('ProvisionedThroughputExceededException', 3);
    const started = performance.now();
    const result = await acquireLease(throttled, app, { owner: 'me', ttlMs: 1_000 });
    const ms = performance.now() - started;
    console.log(`[state-errors] 3 throttled answers then success after ${ms.toFixed(0)} ms`);
    expect(result.status).toBe('acquired');
    expect(proxy.requests).toBe(4);
    throttled.client.destroy();

    const { proxy: stubborn, table: giveUp } = await behindProxy(3);
    stubborn.fail('ThrottlingException', 100);
    await expect(readApp(giveUp, app)).rejects.toBeInstanceOf(ThrottledError);
    expect(stubborn.requests).toBe(3);
    giveUp.client.destroy();
  });

  it('a head item that does not match its schema is reported as corrupt, not half-read', async () => {
    const app = uniqueName('corrupt');
    await table.client.send(
      new PutItemCommand({
        TableName: tableName,
        Item: {
          ...headKey(app),
          fence: { S: 'not a number' },
          state: { S: '{"syncStatus":"Maybe"}' },
        },
      }),
    );
    await expect(readApp(table, app)).rejects.toBeInstanceOf(CorruptStateError);
    await expect(readApp(table, app)).rejects.toMatchObject({ code: 'CORRUPT_STATE', app });
  });
});
