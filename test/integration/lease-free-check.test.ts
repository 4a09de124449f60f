import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { ClientRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runApplication } from '../../shared/app-run/run-application.ts';
import type { AppRunInput } from '../../shared/app-run/types.ts';
import { Application } from '../../shared/config/application.ts';
import { engineSettings } from '../../shared/engine/settings.ts';
import { createStateTable, type StateTable } from '../../shared/state/client.ts';
import { readApp } from '../../shared/state/head.ts';
import { listHistory } from '../../shared/state/history.ts';
import { headKey } from '../../shared/state/keys.ts';
import { cluster, uniqueName } from '../harness/context.ts';
import { localDynamoClient } from '../harness/dynamodb.ts';
import { commitTree } from '../harness/git-fixtures.ts';
import { startGitServer, type GitServer } from '../harness/git-server.ts';
import { configMapValue, kubectl } from '../helpers/engine.ts';
import { configMapYaml } from '../helpers/manifests.ts';

/** DynamoDB commands a table's client sent, in order. */
function countingTable(tableName: string, endpoint: string): { table: StateTable; sent: string[] } {
  const client = localDynamoClient(endpoint);
  const sent: string[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      sent.push(context.commandName!.replace(/Command$/, ''));
      return next(args);
    },
    { step: 'initialize', name: 'testCounter' },
  );
  return { table: createStateTable({ tableName, client }), sent };
}

const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem']);

/** Writes (not dry runs) this process sends to one API server, by method and path. */
function kubeWrites(server: string): { writes: string[]; stop(): void } {
  const host = new URL(server).host;
  const writes: string[] = [];
  const listener = (message: unknown): void => {
    const { request } = message as { request: ClientRequest };
    if (request.getHeader('host') !== host || request.method === 'GET') return;
    if (request.path.includes('dryRun=All')) return;
    writes.push(`${request.method} ${request.path.split('?')[0]}`);
  };
  subscribe('http.client.request.start', listener);
  return { writes, stop: () => unsubscribe('http.client.request.start', listener) };
}

describe('a scheduled drift check without the lease', () => {
  let git: GitServer;
  let cacheDir: string;
  let endpoint: string;
  let tableName: string;
  beforeAll(async () => {
    git = await startGitServer();
    cacheDir = mkdtempSync(join(tmpdir(), 'driftless-leasefree-'));
    ({ endpoint, tableName } = inject('dynamo'));
  });
  afterAll(async () => {
    await git.stop();
    rmSync(cacheDir, { recursive: true, force: true });
  });

  async function setup(selfHeal: boolean) {
    const name = uniqueName('lfree');
    const url = git.createRepo(name);
    const app = Application.parse({
      apiVersion: 'driftless.dev/v1alpha1',
      kind: 'Application',
      metadata: { name },
      spec: {
        source: { repoURL: url, targetRevision: 'main', path: 'app' },
        destination: { cluster: 'cluster-a', namespace: name },
        syncPolicy: {
          automated: { prune: true, selfHeal },
          syncOptions: ['CreateNamespace=true'],
        },
        healthTimeout: '20s',
      },
    });
    const c = cluster('cluster-a');
    const counted = countingTable(tableName, endpoint);
    const input = (extra: Partial<AppRunInput> = {}): AppRunInput => ({
      table: counted.table,
      app,
      connect: async () => ({ server: c.server, ca: readFileSync(c.caFile), token: c.adminToken }),
      owner: uniqueName('owner'),
      trigger: { kind: 'schedule', by: 'test' },
      mode: 'auto',
      settings: engineSettings({ source: { cacheDir } }),
      ...extra,
    });
    const commit = (files: Record<string, string>) => commitTree(git.repoPath(name), 'main', files);
    const first = commit({
      'app/a.yaml': configMapYaml('a', 'one'),
      'app/b.yaml': configMapYaml('b', 'one'),
    });
    expect(await runApplication(input())).toMatchObject({
      status: 'done',
      result: { status: 'Synced' },
    });
    counted.sent.length = 0;
    return { name, c, input, commit, first, sent: counted.sent, table: counted.table };
  }

  it('reads one item and writes nothing when the cluster is as recorded', async () => {
    for (const selfHeal of [false, true]) {
      const { name, input, first, sent, table } = await setup(selfHeal);
      const before = await readApp(table, name);
      sent.length = 0;
      const outcome = await runApplication(input());
      expect(outcome).toEqual({ status: 'skipped', reason: 'unchanged', revision: first });
      // One head read: no inventory chunks, no lease, no state write.
      expect(sent).toEqual(['GetItem']);
      const after = await readApp(table, name);
      expect(after?.fence).toBe(before?.fence);
      expect(after?.state).toEqual(before?.state);
    }
  });

  it('reads an inventory written before the digest was kept whole, once, and records its digest', async () => {
    const { name, input, first, sent, table } = await setup(false);
    await table.client.send(
      new UpdateItemCommand({
        TableName: table.tableName,
        Key: headKey(name),
        UpdateExpression: 'REMOVE invDigest',
      }),
    );
    sent.length = 0;
    const unchanged = { status: 'skipped', reason: 'unchanged', revision: first };
    expect(await runApplication(input())).toEqual(unchanged);
    expect(sent).toContain('Query');
    expect((await readApp(table, name))?.inventory?.digest).toMatch(/^[0-9a-f]{64}$/);
    sent.length = 0;
    expect(await runApplication(input())).toEqual(unchanged);
    expect(sent).toEqual(['GetItem']);
  });

  it('records the newer resourceVersion of a still-matching object once the inventory is old enough, then reads one item', async () => {
    const { name, c, input, first, sent, table } = await setup(false);
    // Another manager's annotation moves the resourceVersion, not our fields.
    await kubectl(c, 'annotate', 'configmap', 'a', '-n', name, 'example.com/seen=yes');
    const unchanged = { status: 'skipped', reason: 'unchanged', revision: first };
    const before = await readApp(table, name);
    // Within versionRecordAfterMs of the sync: checked (inventory read), nothing written.
    sent.length = 0;
    expect(await runApplication(input())).toEqual(unchanged);
    expect(sent.filter((s) => WRITES.has(s))).toEqual([]);
    expect(sent).toContain('Query');
    // Past it: recorded once, under the lease.
    const later = engineSettings({ source: { cacheDir }, versionRecordAfterMs: 0 });
    expect(await runApplication(input({ settings: later }))).toEqual(unchanged);
    const after = await readApp(table, name);
    expect(after?.inventory?.generation).not.toBe(before?.inventory?.generation);
    expect(after?.state).toEqual(before?.state);
    sent.length = 0;
    expect(await runApplication(input({ settings: later }))).toEqual(unchanged);
    expect(sent).toEqual(['GetItem']);
  });

  it('records new drift under the lease, then reports the same drift without writing', async () => {
    const { name, c, input, sent, table } = await setup(false);
    await kubectl(c, 'patch', 'configmap', 'a', '-n', name, '-p', '{"data":{"value":"edited"}}');
    const fence = (await readApp(table, name))?.fence ?? 0;
    const found = await runApplication(input());
    expect(found).toMatchObject({
      status: 'done',
      drift: { detected: true, count: 1, objects: [{ kind: 'ConfigMap', name: 'a' }] },
    });
    const recorded = await readApp(table, name);
    expect(recorded?.fence).toBe(fence + 1);
    expect(recorded?.state).toMatchObject({ syncStatus: 'OutOfSync' });
    expect(await configMapValue(c, name, 'a')).toBe('edited');

    sent.length = 0;
    const again = await runApplication(input());
    expect(again).toMatchObject({ status: 'done', drift: { detected: false, count: 1 } });
    expect(sent.filter((s) => WRITES.has(s))).toEqual([]);
    expect((await readApp(table, name))?.state).toEqual(recorded?.state);
  });

  it('two concurrent checks and a sync of a new commit apply each object once', async () => {
    const { name, c, input, commit, table } = await setup(false);
    const second = commit({
      'app/a.yaml': configMapYaml('a', 'two'),
      'app/b.yaml': configMapYaml('b', 'two'),
    });
    const counter = kubeWrites(c.server);
    let outcomes;
    try {
      outcomes = await Promise.all([
        runApplication(input()),
        runApplication(input()),
        runApplication(input({ mode: 'sync', trigger: { kind: 'manual', by: 'test' } })),
      ]);
    } finally {
      counter.stop();
    }
    const applies = counter.writes.filter(
      (w) => w.startsWith('PATCH') && w.includes('/configmaps/'),
    );
    expect(applies.sort()).toEqual([
      `PATCH /api/v1/namespaces/${name}/configmaps/a`,
      `PATCH /api/v1/namespaces/${name}/configmaps/b`,
    ]);
    expect(outcomes.filter((o) => o.status === 'done' && o.result.revision === second)).not.toEqual(
      [],
    );
    expect((await readApp(table, name))?.state).toMatchObject({ syncedRevision: second });
    expect(await configMapValue(c, name, 'a')).toBe('two');
    expect((await listHistory(table, name)).filter((h) => h.revision === second)).toHaveLength(1);
  });

  it('with selfHeal, two concurrent checks of a drifted app repair it once', async () => {
    const { name, c, input } = await setup(true);
    await kubectl(c, 'patch', 'configmap', 'b', '-n', name, '-p', '{"data":{"value":"edited"}}');
    const counter = kubeWrites(c.server);
    let outcomes;
    try {
      outcomes = await Promise.all([runApplication(input()), runApplication(input())]);
    } finally {
      counter.stop();
    }
    expect(
      counter.writes.filter((w) => w.startsWith('PATCH') && w.includes('/configmaps/')),
    ).toEqual([`PATCH /api/v1/namespaces/${name}/configmaps/b`]);
    // The other check was busy, or came after the repair and found nothing.
    expect(outcomes.filter((o) => o.status === 'done')).toHaveLength(1);
    expect(await configMapValue(c, name, 'b')).toBe('one');
  });
});
