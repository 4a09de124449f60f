import { QueryCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, inject, it } from 'vitest';
import {
  appendHistory,
  getHistoryEntry,
  HISTORY_LIMIT,
  listHistory,
  type HistoryEntry,
} from '../../shared/state/history.ts';
import { appPartition } from '../../shared/state/keys.ts';
import { acquireLease } from '../../shared/state/lease.ts';
import { uniqueName } from '../harness/context.ts';
import { localStateTable } from './fixtures/state-table.ts';

const sync = (n: number): HistoryEntry => ({
  revision: n.toString(16).padStart(40, '0'),
  source: {
    repoURL: 'https://git.example/platform.git',
    path: 'apps/guestbook',
    targetRevision: 'main',
  },
  renderOptions: {
    kind: 'helm',
    releaseName: 'guestbook',
    values: {
      replicas: n,
      image: { tag: `v${n}` },
      empty: '',
      nothing: null,
      flags: [true, false],
    },
  },
  manifestDigest: `sha256:${'f'.repeat(63)}${n % 10}`,
  result: {
    outcome: n % 7 === 0 ? 'failed' : 'succeeded',
    applied: n,
    pruned: 0,
    unchanged: 3,
    message: `sync ${n}`,
  },
  trigger:
    n % 2
      ? { kind: 'webhook', by: 'github', deliveryId: `d-${n}` }
      : { kind: 'schedule', by: 'scheduler' },
  startedAt: 1_700_000_000_000 + n * 1000,
  finishedAt: 1_700_000_000_500 + n * 1000,
});

describe('state: history', () => {
  const { endpoint, tableName } = inject('dynamo');
  const table = localStateTable(endpoint, tableName);
  afterAll(() => table.client.destroy());

  it('keeps the last 50 syncs with everything a rollback needs', async () => {
    const app = uniqueName('history');
    const held = await acquireLease(table, app, { owner: 'syncer', ttlMs: 60_000 });
    if (held.status !== 'acquired') throw new Error('expected to acquire');
    for (let n = 1; n <= 55; n++) expect(await appendHistory(table, held.lease, sync(n))).toBe(n);

    const history = await listHistory(table, app);
    expect(history.map((h) => h.seq)).toEqual(
      Array.from({ length: HISTORY_LIMIT }, (_, i) => 55 - i),
    );
    expect(history[0]).toEqual({ ...sync(55), seq: 55, token: held.lease.token, owner: 'syncer' });
    expect((await listHistory(table, app, { limit: 3 })).map((h) => h.seq)).toEqual([55, 54, 53]);

    // A rollback re-syncs an earlier entry exactly as it was rendered.
    const earlier = await getHistoryEntry(table, app, 10);
    expect(earlier).toMatchObject(sync(10));
    expect(earlier?.renderOptions).toEqual(sync(10).renderOptions);
    expect(await getHistoryEntry(table, app, 5)).toBeUndefined(); // trimmed
    expect(await getHistoryEntry(table, app, 56)).toBeUndefined(); // never committed

    const { Items } = await table.client.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :h)',
        ExpressionAttributeValues: { ':pk': { S: appPartition(app) }, ':h': { S: 'HIST#' } },
        ProjectionExpression: 'sk',
      }),
    );
    expect(Items).toHaveLength(HISTORY_LIMIT);
  });

  it('an app never synced has no history', async () => {
    expect(await listHistory(table, uniqueName('no-history'))).toEqual([]);
  });
});
