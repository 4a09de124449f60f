import { QueryCommand } from '@aws-sdk/client-dynamodb';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { writeState } from '../../shared/state/app-state.ts';
import { readApp } from '../../shared/state/head.ts';
import { appendHistory, listHistory, type HistoryEntry } from '../../shared/state/history.ts';
import { readInventory, writeInventory } from '../../shared/state/inventory-store.ts';
import { appPartition } from '../../shared/state/keys.ts';
import { acquireLease, releaseLease, type AcquireResult } from '../../shared/state/lease.ts';
import { uniqueName } from '../harness/context.ts';
import { inventoryEntries, localStateTable } from './fixtures/state-table.ts';

const FIXTURE = fileURLToPath(new URL('./fixtures/state-crash-reconcile.ts', import.meta.url));
const TTL_MS = 1_500;

const historyEntry = (revision: string): HistoryEntry => ({
  revision,
  source: { repoURL: 'https://git.example/apps.git', path: 'guestbook', targetRevision: 'main' },
  renderOptions: { kind: 'kustomize' },
  manifestDigest: `sha256:${revision}`,
  result: { outcome: 'succeeded', applied: 1, pruned: 0, unchanged: 0 },
  trigger: { kind: 'schedule', by: 'scheduler' },
  startedAt: Date.now(),
  finishedAt: Date.now(),
});

describe('state: reconcile killed mid-sync', () => {
  const { endpoint, tableName } = inject('dynamo');
  const table = localStateTable(endpoint, tableName);
  afterAll(() => table.client.destroy());

  const storedGenerations = async (app: string): Promise<Set<string | undefined>> => {
    const { Items } = await table.client.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :inv)',
        ExpressionAttributeValues: { ':pk': { S: appPartition(app) }, ':inv': { S: 'INV#' } },
        ProjectionExpression: 'sk',
      }),
    );
    return new Set(Items?.map((i) => i.sk?.S?.split('#')[1]));
  };

  it('leaves state that the next reconcile takes over after expiry and converges from', async () => {
    const app = uniqueName('crash');
    const rev1 = { revision: 'rev-1', entries: inventoryEntries(1_000, 'rev-1') };

    // A previous, completed sync of rev-1.
    const setup = await acquireLease(table, app, { owner: 'setup', ttlMs: 10_000 });
    if (setup.status !== 'acquired') throw new Error('expected to acquire');
    await writeInventory(table, setup.lease, rev1);
    await writeState(table, setup.lease, {
      desiredRevision: 'rev-1',
      syncedRevision: 'rev-1',
      syncStatus: 'Synced',
      health: 'Healthy',
    });
    await appendHistory(table, setup.lease, historyEntry('rev-1'));
    await releaseLease(table, setup.lease);

    // A reconcile of rev-2 in a real child process, killed without warning
    // once it has run longer than one TTL (so only renewals kept its lease).
    const child = spawn(
      process.execPath,
      [FIXTURE, endpoint, tableName, app, 'rev-2', String(TTL_MS)],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const exited = once(child, 'exit');
    // Lines are read to the end, so the child never writes into a closed pipe.
    let startedAt = 0;
    let writes = 0;
    const longEnough = new Promise<void>((resolve) => {
      createInterface({ input: child.stdout }).on('line', (line) => {
        if (line.startsWith('started')) startedAt = Date.now();
        if (line.startsWith('wrote')) writes++;
        if (startedAt && writes >= 2 && Date.now() - startedAt > TTL_MS) resolve();
      });
    });
    await longEnough;
    // Kill while an inventory write is under way: two generations are stored
    // while new chunks go in, and again while the old ones are swept.
    while ((await storedGenerations(app)).size < 2);
    child.kill('SIGKILL');
    const [code, signal] = await exited;
    const killedAt = Date.now();
    expect({ code, signal }).toEqual({ code: null, signal: 'SIGKILL' });

    // The dead holder's lease still stands until it expires.
    const first = await acquireLease(table, app, { owner: 'next', ttlMs: 10_000 });
    expect(first.status).toBe('busy');
    expect(first.status === 'busy' && first.holder).toBe(`crashing-${child.pid}`);

    let next: AcquireResult = first;
    while (next.status === 'busy') {
      await sleep(50);
      next = await acquireLease(table, app, { owner: 'next', ttlMs: 10_000 });
    }
    const takeoverMs = Date.now() - killedAt;
    const leftBehind = await storedGenerations(app);
    console.log(
      `[state-crash] ${writes} inventory writes before SIGKILL; taken over ${takeoverMs} ms ` +
        `after the kill; ${leftBehind.size} inventory generations stored at takeover`,
    );
    expect(leftBehind.size).toBeGreaterThanOrEqual(2);
    expect(takeoverMs).toBeLessThan(TTL_MS + 5_000);

    // What the next reconcile finds: the interrupted sync of rev-2, made under an older token.
    const { lease, record } = next;
    expect(record.state).toMatchObject({
      syncedRevision: 'rev-1',
      desiredRevision: 'rev-2',
      syncStatus: 'OutOfSync',
      operation: { revision: 'rev-2' },
    });
    expect(record.stateWrittenBy!.token).toBeLessThan(lease.token);

    // The inventory is one whole write: rev-1's, or one of the child's completed rewrites.
    const found = await readInventory(table, app);
    const tags = new Set(found?.entries.map((e) => e.name.replace(/-object-\d+$/, '')));
    expect(tags.size).toBe(1);
    const [tag] = tags;
    if (tag === 'rev-1') expect(found).toEqual(rev1);
    else {
      expect(tag).toMatch(/^rev-2-attempt-\d+$/);
      expect(found?.entries).toHaveLength(3_000);
    }

    // It converges: redo the sync of rev-2 and finish it.
    const final = { revision: 'rev-2', entries: inventoryEntries(3_000, 'rev-2-final') };
    await writeInventory(table, lease, final);
    await writeState(table, lease, {
      desiredRevision: 'rev-2',
      syncedRevision: 'rev-2',
      syncStatus: 'Synced',
      health: 'Healthy',
    });
    await appendHistory(table, lease, historyEntry('rev-2'));
    await releaseLease(table, lease);

    const after = await readApp(table, app);
    expect(after?.state).toEqual({
      desiredRevision: 'rev-2',
      syncedRevision: 'rev-2',
      syncStatus: 'Synced',
      health: 'Healthy',
    });
    expect(after?.lease).toBeUndefined();
    expect(await readInventory(table, app)).toEqual(final);
    expect((await listHistory(table, app)).map((h) => h.revision)).toEqual(['rev-2', 'rev-1']);
    // Chunks the killed process left behind were swept with the old generations.
    expect(await storedGenerations(app)).toEqual(new Set([after?.inventory?.generation]));
  });
});
