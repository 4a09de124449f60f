import { QueryCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { writeState, type AppState } from '../../shared/state/app-state.ts';
import { LeaseLostError } from '../../shared/state/errors.ts';
import { readApp } from '../../shared/state/head.ts';
import { appendHistory, listHistory, type HistoryEntry } from '../../shared/state/history.ts';
import { readInventory, writeInventory } from '../../shared/state/inventory-store.ts';
import { appPartition } from '../../shared/state/keys.ts';
import { acquireLease, releaseLease } from '../../shared/state/lease.ts';
import { uniqueName } from '../harness/context.ts';
import { inventoryEntries, localStateTable } from './fixtures/state-table.ts';

const entry = (revision: string): HistoryEntry => ({
  revision,
  source: { repoURL: 'https://git.example/apps.git', path: 'guestbook' },
  renderOptions: { kind: 'directory' },
  manifestDigest: `sha256:${revision}`,
  result: { outcome: 'succeeded', applied: 1, pruned: 0, unchanged: 0 },
  trigger: { kind: 'schedule' },
  startedAt: 1,
  finishedAt: 2,
});

const synced = (revision: string): AppState => ({
  desiredRevision: revision,
  syncedRevision: revision,
  syncStatus: 'Synced',
  health: 'Healthy',
});

describe('state: fencing', () => {
  const { endpoint, tableName } = inject('dynamo');
  let clock = 5_000_000;
  const table = localStateTable(endpoint, tableName, { now: () => clock });
  afterAll(() => table.client.destroy());

  it('a holder paused past its lease cannot write state, inventory or history after a takeover', async () => {
    const app = uniqueName('fenced');
    const stalled = await acquireLease(table, app, { owner: 'stalled', ttlMs: 1_000 });
    if (stalled.status !== 'acquired') throw new Error('expected to acquire');
    await writeState(table, stalled.lease, synced('rev-1'));
    await writeInventory(table, stalled.lease, {
      revision: 'rev-1',
      entries: inventoryEntries(10, 'rev-1'),
    });
    await appendHistory(table, stalled.lease, entry('rev-1'));

    // The holder stalls (GC pause, frozen Lambda) past its expiry; another takes over.
    clock += 1_001;
    const next = await acquireLease(table, app, { owner: 'next', ttlMs: 1_000 });
    if (next.status !== 'acquired') throw new Error('expected takeover');
    expect(next.record.state?.syncedRevision).toBe('rev-1');

    // The stalled holder wakes up and carries on as if it still held the lease.
    await expect(writeState(table, stalled.lease, synced('rev-stale'))).rejects.toBeInstanceOf(
      LeaseLostError,
    );
    await expect(
      writeInventory(table, stalled.lease, {
        revision: 'rev-stale',
        entries: inventoryEntries(10, 'rev-stale'),
      }),
    ).rejects.toMatchObject({ code: 'LEASE_LOST', operation: 'write inventory', app });
    await expect(appendHistory(table, stalled.lease, entry('rev-stale'))).rejects.toMatchObject({
      code: 'LEASE_LOST',
      operation: 'append history',
    });
    await expect(releaseLease(table, stalled.lease)).rejects.toBeInstanceOf(LeaseLostError);

    const record = await readApp(table, app);
    expect(record?.state?.syncedRevision).toBe('rev-1');
    expect(record?.lease?.owner).toBe('next');
    expect((await readInventory(table, app))?.revision).toBe('rev-1');
    expect((await listHistory(table, app)).map((h) => h.revision)).toEqual(['rev-1']);

    // The new holder writes normally; its inventory write sweeps the chunks
    // the stalled holder left unreferenced, and its history entry takes the
    // slot the stalled one wrote but never committed.
    await writeState(table, next.lease, synced('rev-2'));
    const written = await writeInventory(table, next.lease, {
      revision: 'rev-2',
      entries: inventoryEntries(10, 'rev-2'),
    });
    expect(written.sweptChunks).toBe(2); // rev-1's generation and the stalled rev-stale one
    expect(await appendHistory(table, next.lease, entry('rev-2'))).toBe(2);
    const history = await listHistory(table, app);
    expect(history.map((h) => [h.seq, h.revision, h.owner])).toEqual([
      [2, 'rev-2', 'next'],
      [1, 'rev-1', 'stalled'],
    ]);

    const { Items } = await table.client.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :inv)',
        ExpressionAttributeValues: { ':pk': { S: appPartition(app) }, ':inv': { S: 'INV#' } },
        ProjectionExpression: 'sk',
      }),
    );
    expect(Items?.map((i) => i.sk?.S)).toEqual([`INV#${written.generation}#000000000000`]);
  });

  it('writes after the holder released the lease are refused', async () => {
    const app = uniqueName('released');
    const held = await acquireLease(table, app, { owner: 'done', ttlMs: 60_000 });
    if (held.status !== 'acquired') throw new Error('expected to acquire');
    await releaseLease(table, held.lease);
    await expect(writeState(table, held.lease, synced('late'))).rejects.toMatchObject({
      code: 'LEASE_LOST',
      table: tableName,
      app,
    });
    expect((await readApp(table, app))?.state).toBeUndefined();
  });
});
