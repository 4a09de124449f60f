import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runApplication } from '../../shared/app-run/run-application.ts';
import type { AppRunInput } from '../../shared/app-run/types.ts';
import { appSummary } from '../../shared/api/app-summary.ts';
import type { ApiDeps } from '../../shared/api/types.ts';
import { Application } from '../../shared/config/application.ts';
import { engineSettings } from '../../shared/engine/settings.ts';
import { fetchSource } from '../../shared/source/index.ts';
import { ensureRepo, repoCache } from '../../shared/source/cache.ts';
import { FetchFailedError, isNoSpace, noSpaceMessage } from '../../shared/source/errors.ts';
import { createStateTable, type StateTable } from '../../shared/state/client.ts';
import { readApp, shownState } from '../../shared/state/head.ts';
import { listHistory } from '../../shared/state/history.ts';
import { getRegistryEntry } from '../../shared/state/registry.ts';
import { withCliHints } from '../../cli/errors.ts';
import { openState } from '../../cli/state-store.ts';
import { cluster, uniqueName } from '../harness/context.ts';
import { localDynamoClient } from '../harness/dynamodb.ts';
import { commitTree } from '../harness/git-fixtures.ts';
import { startGitServer, type GitServer } from '../harness/git-server.ts';
import { ensureCliBuilt, startDriftless } from '../helpers/cli.ts';
import { cliProject } from '../helpers/cli-project.ts';
import { configMapYaml } from '../helpers/manifests.ts';

const FULL_SHA = /^[0-9a-f]{40}$/;

/** A Deployment no node can run: its sync applies, then waits for health until killed. */
const STUCK_DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      nodeSelector: { driftless.dev/no-such-node: 'true' }
      containers: [{ name: web, image: 'nginx:1.27' }]
`;

async function until<T>(what: string, check: () => Promise<T | undefined>, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const found = await check();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

/**
 * Plants /dev/full where the first fetch of `repoURL` into `cacheDir` will
 * write its pack, so that write fails with a real ENOSPC from the kernel.
 * The pack's name is its checksum: a fetch of the same commit into a scratch
 * cache shows it (a real Git server sends the same pack for the same request).
 */
async function fillCache(cacheDir: string, repoURL: string, scratch: string): Promise<void> {
  await fetchSource({ repoURL, targetRevision: 'main', path: 'app' }, { cacheDir: scratch });
  const packDir = (dir: string) => join(repoCache(dir, repoURL).gitdir, 'objects', 'pack');
  const pack = readdirSync(packDir(scratch)).find((f) => f.endsWith('.pack'));
  if (!pack) throw new Error('the scratch fetch kept no pack');
  const cache = repoCache(cacheDir, repoURL);
  mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
  await ensureRepo(cache, repoURL);
  mkdirSync(packDir(cacheDir), { recursive: true });
  symlinkSync('/dev/full', join(packDir(cacheDir), pack));
}

describe('honest status after an interrupted or failed sync', () => {
  let git: GitServer;
  let work: string;
  let table: StateTable;
  beforeAll(async () => {
    git = await startGitServer();
    work = mkdtempSync(join(tmpdir(), 'driftless-honest-'));
    const { endpoint, tableName } = inject('dynamo');
    table = createStateTable({ tableName, client: localDynamoClient(endpoint) });
  });
  afterAll(async () => {
    await git.stop();
    table.client.destroy();
    rmSync(work, { recursive: true, force: true });
  });

  function setup(options: { server?: GitServer; targetRevision?: string; automated?: boolean }) {
    const server = options.server ?? git;
    const name = uniqueName('honest');
    const url = server.createRepo(name);
    const app = Application.parse({
      apiVersion: 'driftless.dev/v1alpha1',
      kind: 'Application',
      metadata: { name },
      spec: {
        source: { repoURL: url, targetRevision: options.targetRevision ?? 'main', path: 'app' },
        destination: { cluster: 'cluster-a', namespace: name },
        syncPolicy: {
          ...(options.automated === false ? {} : { automated: { prune: true } }),
          syncOptions: ['CreateNamespace=true'],
        },
        healthTimeout: '20s',
      },
    });
    const c = cluster('cluster-a');
    const cacheDir = join(work, `${name}-cache`);
    const input = (extra: Partial<AppRunInput> = {}, server = c.server): AppRunInput => ({
      table,
      app,
      connect: async () => ({ server, ca: readFileSync(c.caFile), token: c.adminToken }),
      owner: uniqueName('owner'),
      trigger: { kind: 'manual', by: 'test' },
      mode: 'sync',
      settings: engineSettings({ source: { cacheDir } }),
      ...extra,
    });
    const commit = (value: string) =>
      commitTree(server.repoPath(name), 'main', {
        'app/cm.yaml': configMapYaml('settings', value),
      });
    return { name, url, app, input, commit, cacheDir };
  }

  it('a sync that cannot reach the cluster leaves OutOfSync/Failed, health Unknown, and the commit it tried', async () => {
    const { name, input, commit } = setup({});
    const r1 = commit('one');
    expect(await runApplication(input())).toMatchObject({ result: { status: 'Synced' } });
    expect((await readApp(table, name))?.state).toMatchObject({ health: 'Healthy' });

    const r2 = commit('two');
    const failed = await runApplication(input({}, 'https://127.0.0.1:1'));
    expect(failed).toMatchObject({ status: 'done', result: { status: 'Failed' } });
    const record = await readApp(table, name);
    expect(record?.state).toMatchObject({
      syncStatus: 'OutOfSync',
      syncReason: 'Failed',
      health: 'Unknown',
      targetRevision: 'main',
      desiredRevision: r2,
      syncedRevision: r1,
      lastResult: { outcome: 'failed' },
    });
    expect(record?.state?.error).toMatch(
      /cannot reach the Kubernetes API server at https:\/\/127.0.0.1:1/,
    );
    expect(record?.state?.operation).toBeUndefined();
    // Nothing to reinterpret: the outcome replaced the marker.
    expect(shownState(record, Date.now())).toEqual(record?.state);

    expect(await runApplication(input())).toMatchObject({ result: { status: 'Synced' } });
    const healed = (await readApp(table, name))?.state;
    expect(healed).toMatchObject({ syncStatus: 'Synced', health: 'Healthy', desiredRevision: r2 });
    expect(healed?.syncReason).toBeUndefined();
  });

  it('a scheduled check that cannot reach the cluster shows Unknown, not the last Synced and Healthy, and checks again', async () => {
    const { name, input, commit } = setup({});
    const r1 = commit('one');
    await runApplication(input({ mode: 'auto' }));
    const failed = await runApplication(input({ mode: 'auto' }, 'https://127.0.0.1:1'));
    expect(failed).toMatchObject({ status: 'done', result: { status: 'Failed', dryRun: true } });
    const state = (await readApp(table, name))?.state;
    expect(state).toMatchObject({ syncStatus: 'Unknown', health: 'Unknown', syncedRevision: r1 });
    expect(state?.checkError).toMatch(/cannot reach the Kubernetes API server/);

    // Still a check, not a sync, once the cluster answers; and it is Synced again, its
    // health settled back on Healthy (what a commit status follows).
    expect(await runApplication(input({ mode: 'auto' }))).toEqual({
      status: 'skipped',
      reason: 'unchanged',
      revision: r1,
      settled: { status: 'Healthy' },
    });
    const back = (await readApp(table, name))?.state;
    expect(back).toMatchObject({ syncStatus: 'Synced', health: 'Healthy' });
    expect(back?.checkError).toBeUndefined();
    expect((await listHistory(table, name)).length).toBe(1);
  });

  it('a sync that throws after its marker (no connection) records the failure, not an endless sync', async () => {
    const { name, input, commit } = setup({});
    commit('one');
    await runApplication(input());
    const r2 = commit('two');
    const broken = input({
      connect: async () => {
        throw new Error('DescribeCluster cluster-a: AccessDenied');
      },
    });
    await expect(runApplication(broken)).rejects.toThrow(/AccessDenied/);
    const record = await readApp(table, name);
    expect(record?.lease).toBeUndefined();
    expect(record?.state).toMatchObject({
      syncStatus: 'OutOfSync',
      syncReason: 'Failed',
      health: 'Unknown',
      desiredRevision: r2,
    });
    expect(record?.state?.error).toMatch(new RegExp(`sync of ${r2} failed: .*AccessDenied`));
    expect(record?.state?.operation).toBeUndefined();
  });

  it('an unknown branch records the ref as targetRevision, no SHA, and an error naming the repository', async () => {
    const { name, url, input, commit } = setup({ targetRevision: 'no-such-branch' });
    commit('one');
    const outcome = await runApplication(input());
    expect(outcome).toMatchObject({ result: { status: 'Failed', phase: 'source' } });
    const state = (await readApp(table, name))?.state;
    expect(state).toMatchObject({
      targetRevision: 'no-such-branch',
      syncStatus: 'OutOfSync',
      syncReason: 'Failed',
      health: 'Unknown',
    });
    expect(state?.desiredRevision).toBeUndefined();
    expect(state?.operation).toBeUndefined();
    expect(state?.error).toContain(url);
    expect(state?.error).toMatch(/no branch or tag of that name/);
    // No commit, nothing applied: no history entry with a branch for a revision.
    expect(await listHistory(table, name)).toEqual([]);

    // A dry run (the API's diff) keeps the SHA field clean too.
    const manual = setup({ targetRevision: 'no-such-branch', automated: false });
    manual.commit('one');
    await runApplication(manual.input({ mode: 'diff' }));
    const dry = (await readApp(table, manual.name))?.state;
    expect(dry).toMatchObject({ targetRevision: 'no-such-branch', syncStatus: 'OutOfSync' });
    expect(dry?.desiredRevision).toBeUndefined();
  });

  it('a Git server that is down leaves the last commit synced and no branch name in the SHA field', async () => {
    const server = await startGitServer();
    const { name, url, input, commit } = setup({ server });
    try {
      commit('one');
      await runApplication(input());
      commit('two');
    } finally {
      await server.stop();
    }
    const outcome = await runApplication(input());
    expect(outcome).toMatchObject({ result: { status: 'Failed', phase: 'source' } });
    const state = (await readApp(table, name))?.state;
    expect(state).toMatchObject({
      targetRevision: 'main',
      syncStatus: 'OutOfSync',
      syncReason: 'Failed',
      syncedRevision: expect.stringMatching(FULL_SHA),
    });
    expect(state?.desiredRevision).toBeUndefined();
    expect(state?.error).toContain(url);
    expect(state?.error).toMatch(/cannot reach the server/);
  });

  it.skipIf(!existsSync('/dev/full'))(
    'a full disk under the fetch names the cache folder (a real ENOSPC from /dev/full)',
    async () => {
      const { name, url, input, commit, cacheDir } = setup({});
      commit('one');
      await fillCache(cacheDir, url, join(work, `${name}-scratch`));
      const outcome = await runApplication(input());
      expect(outcome).toMatchObject({ result: { status: 'Failed', phase: 'source' } });
      const state = (await readApp(table, name))?.state;
      expect(state?.error).toContain(url);
      expect(state?.error).toContain(noSpaceMessage(cacheDir));
      // Which option moves the folder is for the CLI to say, not the engine.
      expect(state?.error).not.toContain('--cache-dir');
      expect(state).toMatchObject({ syncStatus: 'OutOfSync', syncReason: 'Failed' });
    },
  );

  it.skipIf(!existsSync('/dev/full'))(
    'ENOSPC is recognised through the causes a Git transfer wraps it in',
    () => {
      let enospc: unknown;
      try {
        writeFileSync('/dev/full', 'x');
      } catch (err) {
        enospc = err;
      }
      expect((enospc as NodeJS.ErrnoException).code).toBe('ENOSPC');
      expect(isNoSpace(enospc)).toBe(true);
      const wrapped = new FetchFailedError(
        { repoURL: 'https://git.example/a.git', revision: 'main' },
        'git transfer failed',
        enospc,
      );
      expect(isNoSpace(wrapped)).toBe(true);
      expect(isNoSpace(new Error('ENOSPC in words only'))).toBe(false);
      expect(withCliHints(`render: ${noSpaceMessage('/tmp/c')}`)).toBe(
        'render: no space left in the cache folder /tmp/c (set --cache-dir to a folder with more room)',
      );
      expect(withCliHints('source: unrelated')).toBe('source: unrelated');
    },
  );

  describe('the CLI (built bundle)', () => {
    beforeAll(() => ensureCliBuilt());

    it.skipIf(!existsSync('/dev/full'))(
      'driftless sync on a full cache folder says which folder and --cache-dir',
      async () => {
        const project = cliProject(git, work, uniqueName('honest-nospace'));
        project.commit({ 'app/cm.yaml': configMapYaml('settings', 'one') });
        const cacheDir = join(work, `${project.name}-cache`);
        await fillCache(cacheDir, project.url, join(work, `${project.name}-scratch`));
        const run = await project.run(
          'sync',
          '-f',
          'app.yaml',
          '--cache-dir',
          cacheDir,
          ...project.kc,
        );
        expect(run.code, run.stdout + run.stderr).toBe(3);
        expect(run.stdout + run.stderr).toContain(
          `no space left in the cache folder ${cacheDir} (set --cache-dir to a folder with more room)`,
        );
      },
    );

    it('a sync killed mid-apply shows Interrupted once its lease is gone (status, -o json, API); the next sync converges', async () => {
      const project = cliProject(git, work, uniqueName('honest-kill'), { healthTimeout: '60s' });
      const sync = ['sync', '-f', 'app.yaml', ...project.kc];
      const r1 = project.commit({ 'app/cm.yaml': configMapYaml('settings', 'one') });
      const first = await project.run(...sync, '-q');
      expect(first.code, first.stdout + first.stderr).toBe(0);

      const r2 = project.commit({
        'app/cm.yaml': configMapYaml('settings', 'two'),
        'app/web.yaml': STUCK_DEPLOYMENT,
      });
      const killed = startDriftless(sync, { cwd: project.dir });
      await until(
        'the sync to wait for health',
        async () => (killed.output().includes('[health]') ? true : undefined),
        60_000,
      );
      killed.child.kill('SIGKILL');
      await killed.exited;

      const json = async () => {
        const run = await project.run('status', project.name, '-o', 'json');
        expect(run.code, run.stderr).toBe(0);
        return JSON.parse(run.stdout) as { syncing: boolean; state: Record<string, unknown> };
      };
      // While the dead run's lease stands, the marker is a sync under way, not Synced.
      const during = await json();
      if (during.syncing)
        expect(during.state).toMatchObject({
          syncStatus: 'OutOfSync',
          operation: { revision: r2 },
        });
      const after = await until(
        'the lease to expire',
        async () => {
          const shown = await json();
          return shown.syncing ? undefined : shown;
        },
        30_000,
      );
      expect(after.state).toMatchObject({
        syncStatus: 'OutOfSync',
        syncReason: 'Interrupted',
        health: 'Unknown',
        desiredRevision: r2,
        syncedRevision: r1,
        operation: { revision: r2, startedAt: expect.any(Number) },
      });
      expect(after.state.error).toMatch(new RegExp(`sync of ${r2} started at .* was interrupted`));
      expect(after.state.error).toMatch(/the next sync will converge it/);

      const table = (await project.run('status')).stdout;
      const row = table.split('\n').find((l) => l.startsWith(project.name)) ?? '';
      expect(row).toMatch(/OutOfSync\s+Unknown/);
      expect(row).toContain(`sync of ${r2} started at`);

      // The management API's summary reads the same state the same way.
      const state = await openState(
        { state: join(project.dir, '.driftless/state') },
        { create: false },
      );
      if (!state) throw new Error('no local state');
      try {
        const entry = await getRegistryEntry(state.table, project.name);
        const deps = { table: state.table } as unknown as ApiDeps;
        const summary = await appSummary(deps, entry!);
        expect(summary).toMatchObject({
          syncing: false,
          state: { syncReason: 'Interrupted', desiredRevision: r2 },
        });
      } finally {
        await state.close();
      }

      const r3 = project.commit({ 'app/cm.yaml': configMapYaml('settings', 'three') });
      const next = await project.run(...sync, '-q');
      expect(next.code, next.stdout + next.stderr).toBe(0);
      const converged = await json();
      expect(converged.state).toMatchObject({
        syncStatus: 'Synced',
        health: 'Healthy',
        syncedRevision: r3,
      });
      expect(converged.state.syncReason).toBeUndefined();
      expect(converged.state.operation).toBeUndefined();
    }, 180_000);
  });
});
