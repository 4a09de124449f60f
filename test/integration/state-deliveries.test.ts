import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { isDeliveryRecorded, recordDelivery } from '../../shared/state/deliveries.ts';
import { deliveryKey } from '../../shared/state/keys.ts';
import { TTL_ATTRIBUTE } from '../../shared/state/table-definition.ts';
import { uniqueName } from '../harness/context.ts';
import { localStateTable } from './fixtures/state-table.ts';

describe('state: webhook deliveries', () => {
  const { endpoint, tableName } = inject('dynamo');
  let clock = Date.UTC(2026, 0, 1);
  const table = localStateTable(endpoint, tableName, { now: () => clock });
  afterAll(() => table.client.destroy());

  const expiresAt = async (provider: string, id: string) =>
    (
      await table.client.send(
        new GetItemCommand({
          TableName: table.tableName,
          Key: deliveryKey(provider, id),
          ConsistentRead: true,
        }),
      )
    ).Item?.[TTL_ATTRIBUTE]?.N;

  it('a delivery is unknown until recorded, per provider', async () => {
    const id = uniqueName('delivery');
    expect(await isDeliveryRecorded(table, { provider: 'github', id })).toBe(false);
    await recordDelivery(table, { provider: 'github', id, ttlSeconds: 3_600 });
    expect(await isDeliveryRecorded(table, { provider: 'github', id })).toBe(true);
    expect(await isDeliveryRecorded(table, { provider: 'gitlab', id })).toBe(false);
  });

  it('reading never records: a delivery read many times is still unknown', async () => {
    const delivery = { provider: 'bitbucket', id: uniqueName('read-only') };
    for (let i = 0; i < 3; i++) expect(await isDeliveryRecorded(table, delivery)).toBe(false);
    expect(await expiresAt(delivery.provider, delivery.id)).toBeUndefined();
  });

  it('known until the record expires, whether or not TTL deleted it', async () => {
    const delivery = { provider: 'github', id: uniqueName('expiring') };
    await recordDelivery(table, { ...delivery, ttlSeconds: 3_600 });
    clock += 3_599_000;
    expect(await isDeliveryRecorded(table, delivery)).toBe(true);
    // Expired but still stored (dynalite, like DynamoDB, has not deleted it):
    // the reader's own expiry check makes it unknown again.
    clock += 1_000;
    expect(await expiresAt(delivery.provider, delivery.id)).toBe(String(clock / 1000));
    expect(await isDeliveryRecorded(table, delivery)).toBe(false);
    // Recording it again re-arms it.
    await recordDelivery(table, { ...delivery, ttlSeconds: 3_600 });
    expect(await isDeliveryRecorded(table, delivery)).toBe(true);
  });

  it('recording twice (copies enqueued together) succeeds and restarts the expiry', async () => {
    const delivery = { provider: 'gitea', id: uniqueName('twice'), ttlSeconds: 600 };
    await Promise.all(Array.from({ length: 5 }, () => recordDelivery(table, delivery)));
    clock += 500_000;
    await recordDelivery(table, delivery);
    clock += 500_000;
    expect(await isDeliveryRecorded(table, delivery)).toBe(true);
  });
});
