import { afterAll, describe, expect, inject, it } from 'vitest';
import { recordDelivery } from '../../shared/state/deliveries.ts';
import { uniqueName } from '../harness/context.ts';
import { localStateTable } from './fixtures/state-table.ts';

describe('state: webhook deliveries', () => {
  const { endpoint, tableName } = inject('dynamo');
  let clock = Date.UTC(2026, 0, 1);
  const table = localStateTable(endpoint, tableName, { now: () => clock });
  afterAll(() => table.client.destroy());

  it('detects duplicates until the record expires, whether or not TTL deleted it', async () => {
    const id = uniqueName('delivery');
    const delivery = { provider: 'github', id, ttlSeconds: 3_600 };
    expect(await recordDelivery(table, delivery)).toBe(true);
    expect(await recordDelivery(table, delivery)).toBe(false);
    expect(await recordDelivery(table, { ...delivery, provider: 'gitlab' })).toBe(true);

    clock += 3_599_000;
    expect(await recordDelivery(table, delivery)).toBe(false);
    // Expired but still stored (dynalite, like DynamoDB, has not deleted it):
    // the reader's own expiry check makes it new again, and re-arms it.
    clock += 1_000;
    expect(await recordDelivery(table, delivery)).toBe(true);
    expect(await recordDelivery(table, delivery)).toBe(false);
  });

  it('concurrent deliveries of one id: exactly one is new', async () => {
    const delivery = { provider: 'gitea', id: uniqueName('burst'), ttlSeconds: 600 };
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => recordDelivery(table, delivery)),
    );
    expect(answers.filter(Boolean)).toHaveLength(1);
  });
});
