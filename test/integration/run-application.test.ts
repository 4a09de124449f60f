import { randomUUID } from 'node:crypto';
import { engineSettings } from '../../shared/engine/settings.ts';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Application } from '../../shared/config/application.ts';
import { runApplication } from '../../shared/app-run/run-application.ts';
import { type AppRunInput } from '../../shared/app-run/types.ts';
import { createStateTable, type StateTable } from '../../shared/state/client.ts';
import { readApp } from '../../shared/state/head.ts';
import { headKey } from '../../shared/state/keys.ts';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { listHistory } from '../../shared/state/history.ts';
import { setSuspended } from '../../shared/control/suspend.ts';
import { DeadlineError } from '../../shared/worker/deadline.ts';
import { ensureTable } from '../../shared/state/ensure-table.ts';
import { LocalReconcileQueue } from '../../shared/queue/local-queue.ts';
import { webhookDeps } from '../../shared/runtime/webhook-deps.ts';
import {
  getRegistryEntry,
  listRegistry,
  listWatchPaths,
  putRegistryEntry,
  putWatchPaths,
  removeRegistryEntry,
} from '../../shared/state/registry.ts';
import { registerConfig } from '../../shared/scheduler/register.ts';
import { handleWebhook } from '../../shared/webhooks/index.ts';
import { cluster, uniqueName } from '../harness/context.ts';
import { localDynamoClient } from '../harness/dynamodb.ts';
import { commitTree } from '../harness/git-fixtures.ts';
import { startGitServer, type GitServer } from '../harness/git-server.ts';
import { toolPath } from '../harness/tools.ts';
import { configMapValue, kubectl } from '../helpers/engine.ts';
import { configMapYaml, githubPush, kustomizeOverlayTree } from '../helpers/manifests.ts';
import type { SourceSpec } from '../../shared/source/spec.ts';

describe('runApplication: engine with lease, state and history', () => {
  let git: GitServer;
  let cacheDir: string;
  let table: StateTable;
  beforeAll(async () => {
    git = await startGitServer();
    cacheDir = mkdtempSync(join(tmpdir(), 'driftless-rapp-'));
    const { endpoint, tableName } = inject('dynamo');
    table = createStateTable({ tableName, client: localDynamoClient(endpoint) });
  });
  afterAll(async () => {
    await git.stop();
    table.client.destroy();
    rmSync(cacheDir, { recursive: true, force: true });
  });

  function setup(automated: boolean, selfHeal = false) {
    const name = uniqueName('rapp');
    const url = git.createRepo(name);
    const app = Application.parse({
      apiVersion: 'driftless.dev/v1alpha1',
      kind: 'Application',
      metadata: { name },
      spec: {
        source: { repoURL: url, targetRevision: 'main', path: 'app' },
        destination: { cluster: 'cluster-a', namespace: name },
        syncPolicy: {
          ...(automated ? { automated: { prune: true, selfHeal } } : {}),
          syncOptions: ['CreateNamespace=true'],
        },
        healthTimeout: '20s',
      },
    });
    const c = cluster('cluster-a');
    const input = (extra: Partial<AppRunInput> = {}): AppRunInput => ({
      table,
      app,
      connect: async () => ({ server: c.server, ca: readFileSync(c.caFile), token: c.adminToken }),
      owner: uniqueName('owner'),
      trigger: { kind: 'schedule', by: 'test' },
      mode: 'auto',
      settings: engineSettings({ source: { cacheDir } }),
      ...extra,
    });
    return {
      name,
      app,
      input,
      commit: (files: Record<string, string>) => commitTree(git.repoPath(name), 'main', files),
    };
  }

  it('syncs, skips an unchanged commit without a fetch, records history, and rolls back', async () => {
    const { name, input, commit } = setup(true);
    const first = commit({ 'app/cm.yaml': configMapYaml('settings', 'one') });
    const r1 = await runApplication(input());
    expect(r1).toMatchObject({
      status: 'done',
      historySeq: 1,
      result: { status: 'Synced', revision: first },
    });
    expect((await readApp(table, name))?.state).toMatchObject({
      syncedRevision: first,
      syncStatus: 'Synced',
      health: 'Healthy',
    });

    const fetches = git.requests(name).fetches;
    const r2 = await runApplication(input());
    expect(r2).toEqual({ status: 'skipped', reason: 'unchanged', revision: first });
    expect(git.requests(name).fetches).toBe(fetches);

    const second = commit({
      'app/cm.yaml': configMapYaml('settings', 'two'),
      'app/more.yaml': configMapYaml('more', 'x'),
    });
    const r3 = await runApplication(
      input({ trigger: { kind: 'webhook', by: 'github', deliveryId: 'd-1' } }),
    );
    expect(r3).toMatchObject({
      status: 'done',
      historySeq: 2,
      result: { revision: second, counts: { Configured: 1, Created: 1 } },
    });

    const back = await runApplication(
      input({
        mode: 'sync',
        request: { revision: first },
        trigger: { kind: 'rollback', by: 'test', rollbackOf: 1 },
      }),
    );
    expect(back).toMatchObject({
      status: 'done',
      historySeq: 3,
      result: { revision: first, counts: { Configured: 1, Pruned: 1 } },
    });
    expect(await configMapValue(cluster('cluster-a'), name, 'settings')).toBe('one');
    const history = await listHistory(table, name);
    expect(history.map((h) => [h.seq, h.revision, h.trigger.kind])).toEqual([
      [3, first, 'rollback'],
      [2, second, 'webhook'],
      [1, first, 'schedule'],
    ]);
    expect(history[1]).toMatchObject({
      source: { path: 'app', targetRevision: 'main' },
      result: { outcome: 'succeeded', applied: 2 },
    });
  });

  it('answers busy to a concurrent reconcile of the same application', async () => {
    const { input, commit } = setup(true);
    commit({ 'app/cm.yaml': configMapYaml('a', '1') });
    const outcomes = await Promise.all([runApplication(input()), runApplication(input())]);
    expect(outcomes.map((o) => o.status).sort()).toEqual(['busy', 'done']);
  });

  it('only records drift for an application without automated sync', async () => {
    const { name, input, commit } = setup(false);
    const sha = commit({ 'app/cm.yaml': configMapYaml('a', '1') });
    const outcome = await runApplication(input());
    expect(outcome).toMatchObject({
      status: 'done',
      result: { dryRun: true, status: 'OutOfSync', counts: { Created: 1 } },
    });
    expect((await readApp(table, name))?.state).toMatchObject({
      desiredRevision: sha,
      syncStatus: 'OutOfSync',
      lastResult: {
        outcome: 'noop',
        applied: 0,
        message: '1 change(s) not applied: automated sync is off',
      },
    });
    await expect(kubectl(cluster('cluster-a'), 'get', 'namespace', name)).rejects.toThrow(
      /NotFound/,
    );
    expect(await listHistory(table, name)).toEqual([]);
  });

  it('rewrites no inventory when a sync at the same commit changes nothing', async () => {
    const { name, input, commit } = setup(false);
    const first = commit({
      'app/a.yaml': configMapYaml('a', 'one'),
      'app/b.yaml': configMapYaml('b', 'two'),
    });
    expect(await runApplication(input({ mode: 'sync' }))).toMatchObject({
      result: { status: 'Synced', revision: first },
    });
    const generation = async () =>
      (
        await table.client.send(
          new GetItemCommand({ TableName: table.tableName, Key: headKey(name) }),
        )
      ).Item?.invGen?.S;
    const before = await generation();
    expect(before).toBeDefined();
    expect(await runApplication(input({ mode: 'sync' }))).toMatchObject({
      result: { status: 'Synced', revision: first, counts: { Unchanged: 2 } },
    });
    expect(await generation()).toBe(before);
  });

  it('repairs drift on every reconcile when selfHeal is on', async () => {
    const { name, input, commit } = setup(true, true);
    const first = commit({ 'app/cm.yaml': configMapYaml('settings', 'one') });
    await runApplication(input());
    await kubectl(
      cluster('cluster-a'),
      'patch',
      'configmap',
      'settings',
      '-n',
      name,
      '--type=merge',
      '-p',
      '{"data":{"value":"tampered"}}',
    );
    const repaired = await runApplication(input());
    expect(repaired).toMatchObject({ status: 'done', result: { counts: { Configured: 1 } } });
    expect(await configMapValue(cluster('cluster-a'), name, 'settings')).toBe('one');
    // In sync again: the check before the lease finds nothing to repair.
    const quiet = await runApplication(input());
    expect(quiet).toEqual({ status: 'skipped', reason: 'unchanged', revision: first });
    expect((await listHistory(table, name)).length).toBe(2);
  });

  it('holds automated syncs at a rolled-back revision until a newer commit or a resume', async () => {
    const { name, input, commit } = setup(true);
    const first = commit({ 'app/cm.yaml': configMapYaml('settings', 'one') });
    await runApplication(input());
    const bad = commit({ 'app/cm.yaml': configMapYaml('settings', 'bad') });
    await runApplication(input());
    const back = await runApplication(
      input({
        mode: 'sync',
        request: { revision: first },
        trigger: { kind: 'rollback', by: 'oncall', rollbackOf: 1 },
      }),
    );
    expect(back).toMatchObject({ status: 'done', result: { revision: first } });
    expect((await readApp(table, name))?.state?.hold).toMatchObject({
      revision: first,
      headRevision: bad,
      by: 'oncall',
    });

    const held = await runApplication(input());
    expect(held).toEqual({
      status: 'skipped',
      reason: `held at ${first} after a rollback`,
      revision: first,
    });
    const value = () => configMapValue(cluster('cluster-a'), name, 'settings');
    expect(await value()).toBe('one');

    const fixed = commit({ 'app/cm.yaml': configMapYaml('settings', 'fixed') });
    const resumed = await runApplication(input());
    expect(resumed).toMatchObject({ status: 'done', result: { revision: fixed } });
    expect(await value()).toBe('fixed');
    expect((await readApp(table, name))?.state?.hold).toBeUndefined();

    await runApplication(
      input({
        mode: 'sync',
        request: { revision: first },
        trigger: { kind: 'rollback', by: 'oncall' },
      }),
    );
    expect((await readApp(table, name))?.state?.hold?.headRevision).toBe(fixed);
    expect(await setSuspended(table, name, false, { by: 'oncall', owner: 'resume-1' })).toEqual({
      status: 'done',
      suspended: false,
    });
    expect((await readApp(table, name))?.state?.hold).toBeUndefined();
    expect(await runApplication(input())).toMatchObject({
      status: 'done',
      result: { revision: fixed },
    });
    expect(await value()).toBe('fixed');
  });

  it('skips a suspended application until it is resumed', async () => {
    const { name, input, commit } = setup(true);
    commit({ 'app/cm.yaml': configMapYaml('settings', 'one') });
    await runApplication(input());
    expect(
      await setSuspended(table, name, true, {
        by: 'oncall',
        owner: 'suspend-1',
        reason: 'incident',
      }),
    ).toEqual({ status: 'done', suspended: true });
    commit({ 'app/cm.yaml': configMapYaml('settings', 'two') });
    expect(await runApplication(input())).toMatchObject({
      status: 'skipped',
      reason: expect.stringMatching(/^suspended by oncall/),
    });
    expect((await readApp(table, name))?.state?.suspended).toMatchObject({
      by: 'oncall',
      reason: 'incident',
    });
    await setSuspended(table, name, false, { by: 'oncall', owner: 'resume-2' });
    expect(await runApplication(input())).toMatchObject({ status: 'done' });
  });

  it('applies a changed Application definition even when the commit is unchanged', async () => {
    const { name, app, input, commit } = setup(true);
    commit({ 'app/a.yaml': configMapYaml('a', '1'), 'app/b.yaml': configMapYaml('b', '1') });
    const narrow = {
      ...app,
      spec: { ...app.spec, render: { directory: { recurse: false, include: 'a.yaml' } } },
    };
    expect(await runApplication(input({ app: narrow }))).toMatchObject({
      status: 'done',
      result: { counts: { Created: 1 } },
    });
    expect(await runApplication(input({ app: narrow }))).toMatchObject({
      status: 'skipped',
      reason: 'unchanged',
    });
    const wide = await runApplication(input());
    expect(wide).toMatchObject({
      status: 'done',
      result: { counts: { Created: 1, Unchanged: 1 } },
    });
    expect(await configMapValue(cluster('cluster-a'), name, 'b')).toBe('1');
    expect(await runApplication(input())).toMatchObject({ status: 'skipped', reason: 'unchanged' });
  });

  it("routes a push that changes only a Kustomize overlay's base to the overlay", async () => {
    const { name, app, input, commit } = setup(true);
    // A table of its own: other files' scheduler runs remove every registry
    // entry their configuration does not declare.
    const own = createStateTable({ tableName: uniqueName('routing'), client: table.client });
    await ensureTable(own.client, own.tableName);
    const source = app.spec.source as SourceSpec;
    const overlay: Application = {
      ...app,
      spec: { ...app.spec, source: { ...source, path: 'overlays/prod' } },
    };
    const sibling: Application = {
      ...overlay,
      metadata: { name: `${name}-docs` },
      spec: { ...overlay.spec, source: { ...source, path: 'docs' } },
    };
    const tree = kustomizeOverlayTree();
    const first = commit(tree);
    await putRegistryEntry(own, { name, app: overlay, file: 'apps/prod.yaml' });
    await putRegistryEntry(own, {
      name: sibling.metadata.name,
      app: sibling,
      file: 'apps/docs.yaml',
    });
    const routed: string[] = [];
    const queue = new LocalReconcileQueue({
      workers: 1,
      process: async (body) => {
        routed.push((JSON.parse(body) as { app: string }).app);
        return 'done';
      },
    });
    const settings = engineSettings({
      source: { cacheDir },
      render: { binaries: { kustomize: toolPath('kustomize') } },
    });
    const secret = 'route-secret';
    const deps = webhookDeps({ table: own, queue, secret: async () => secret });
    const pushOf = (after: string, changed: string[]) => {
      const push = githubPush({
        repoURL: source.repoURL,
        after,
        secret,
        deliveryId: randomUUID(),
        changed,
      });
      return { headers: push.headers, body: Buffer.from(push.body) };
    };

    // Before the first render nothing is known beyond the path.
    expect(await handleWebhook(pushOf(first, ['base/cm.yaml']), deps)).toMatchObject({
      statusCode: 202,
    });
    expect(routed).toEqual([]);

    const synced = await runApplication(input({ table: own, app: overlay, settings }));
    expect(synced, synced.status === 'done' ? synced.result.error : '').toMatchObject({
      status: 'done',
      result: { status: 'Synced', watchPaths: ['base'] },
    });
    expect((await getRegistryEntry(own, name))?.watchPaths).toEqual(['base']);
    expect((await readApp(own, name))?.state?.watchPaths).toEqual(['base']);

    const second = commit({ ...tree, 'base/cm.yaml': configMapYaml('settings', 'two') });
    expect(await handleWebhook(pushOf(second, ['base/cm.yaml']), deps)).toMatchObject({
      statusCode: 202,
    });
    expect(routed).toEqual([name]);
    expect(await runApplication(input({ table: own, app: overlay, settings }))).toMatchObject({
      status: 'done',
      result: { status: 'Synced', revision: second, counts: { Configured: 1 } },
    });
    expect(await configMapValue(cluster('cluster-a'), name, 'settings')).toBe('two');

    // A render that fails keeps the paths, so the push that fixes the base still routes.
    const broken = commit({ ...tree, 'base/kustomization.yaml': 'resources: [cm.yaml\n' });
    expect(await runApplication(input({ table: own, app: overlay, settings }))).toMatchObject({
      result: { status: 'Failed', revision: broken },
    });
    expect((await getRegistryEntry(own, name))?.watchPaths).toEqual(['base']);

    // Unregistering removes the routing record with the application.
    await removeRegistryEntry(own, name);
    expect(await getRegistryEntry(own, name)).toBeUndefined();
    expect((await listWatchPaths(own)).has(name)).toBe(false);
    expect(
      (await listRegistry(own)).find((e) => e.name === sibling.metadata.name)?.watchPaths,
    ).toBeUndefined();
    // A reconcile that finished after the removal wrote them again: the scheduler cleans up.
    await putWatchPaths(own, name, ['base']);
    const report = await registerConfig(own, {
      applications: new Map(),
      clusters: new Map(),
      projects: new Map(),
      errors: [],
    });
    expect(report.removed).toEqual([sibling.metadata.name]);
    expect((await listWatchPaths(own)).size).toBe(0);
    await queue.stop();
  });

  it('keeps a rollback hold while suspended; only resume lifts it', async () => {
    const { name, input, commit } = setup(true);
    const first = commit({ 'app/cm.yaml': configMapYaml('settings', 'one') });
    await runApplication(input());
    commit({ 'app/cm.yaml': configMapYaml('settings', 'two') });
    await runApplication(input());
    await runApplication(
      input({
        mode: 'sync',
        request: { revision: first },
        trigger: { kind: 'rollback', by: 'oncall' },
      }),
    );
    await setSuspended(table, name, true, { by: 'oncall', owner: 'suspend-hold' });
    expect((await readApp(table, name))?.state).toMatchObject({
      hold: { revision: first },
      suspended: { by: 'oncall' },
    });
    await setSuspended(table, name, false, { by: 'oncall', owner: 'resume-hold' });
    const state = (await readApp(table, name))?.state;
    expect(state?.hold).toBeUndefined();
    expect(state?.suspended).toBeUndefined();
  });

  it("a caller's abort (a Lambda near its deadline) writes nothing to the cluster, and the lease is still released", async () => {
    const { name, input, commit } = setup(true);
    commit({ 'app/cm.yaml': configMapYaml('settings', 'one') });
    const stopped = await runApplication(
      input({ mode: 'sync', signal: AbortSignal.abort(new DeadlineError()) }),
    );
    expect(stopped).toMatchObject({ status: 'done', result: { status: 'Failed' } });
    if (stopped.status !== 'done') return;
    expect(stopped.result.error).toMatch(/time was nearly up/);
    // Not even the namespace the sync would create: a stopped run makes no first write.
    await expect(kubectl(cluster('cluster-a'), 'get', 'namespace', name)).rejects.toThrow(
      /NotFound/,
    );
    const record = await readApp(table, name);
    expect(record?.lease).toBeUndefined();
    expect(record?.state).toMatchObject({ lastResult: { outcome: 'failed' } });
    expect(await runApplication(input({ mode: 'sync' }))).toMatchObject({
      status: 'done',
      result: { status: 'Synced' },
    });
    expect(await configMapValue(cluster('cluster-a'), name, 'settings')).toBe('one');
  });
});
