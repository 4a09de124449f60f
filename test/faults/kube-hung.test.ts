import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openState } from '../../cli/state-store.ts';
import { runApplication } from '../../shared/app-run/run-application.ts';
import { createStateTable, type StateTable } from '../../shared/state/client.ts';
import { readApp } from '../../shared/state/head.ts';
import { cluster, uniqueName } from '../harness/context.ts';
import { localDynamoClient } from '../harness/dynamodb.ts';
import { commitTree } from '../harness/git-fixtures.ts';
import { startGitServer, type GitServer } from '../harness/git-server.ts';
import {
  proxyCluster,
  startToxiproxy,
  type ProxiedCluster,
  type Toxiproxy,
} from '../harness/toxiproxy.ts';
import { driftless, ensureCliBuilt, startDriftless } from '../helpers/cli.ts';
import { cliProject } from '../helpers/cli-project.ts';
import {
  cmNames,
  configMaps,
  expectConverged,
  faultApp,
  runInput,
  runError,
  since,
  TIMED_OUT,
  untilApplied,
  within,
} from './support.ts';

const OBJECTS = 1_000;
const DEADLINE_MS = 30_000;
// The run's own bookkeeping after its deadline (state, inventory, lease), and a loaded machine.
const MARGIN_MS = 5_000;

/** An API server that stops answering: requests and answers are dropped, connections stay open. */
async function hang(proxied: ProxiedCluster): Promise<void> {
  await proxied.proxy.addToxic({ type: 'timeout', attributes: { timeout: 0 }, stream: 'upstream' });
  await proxied.proxy.addToxic({
    type: 'timeout',
    attributes: { timeout: 0 },
    stream: 'downstream',
  });
}

/** Removes the toxics and drops every connection through the proxy, hung ones included. */
async function release(proxied: ProxiedCluster): Promise<void> {
  await proxied.proxy.clearToxics();
  await proxied.proxy.disable();
  await proxied.proxy.enable();
}

describe('fault: the API server hangs mid-apply (Toxiproxy timeout toxic, never answers)', () => {
  let git: GitServer;
  let toxiproxy: Toxiproxy;
  let proxied: ProxiedCluster;
  let work: string;
  let table: StateTable;
  beforeAll(async () => {
    git = await startGitServer();
    toxiproxy = await startToxiproxy();
    proxied = await proxyCluster(toxiproxy, cluster('cluster-a'));
    work = mkdtempSync(join(tmpdir(), 'driftless-fault-hung-'));
    const { endpoint, tableName } = inject('dynamo');
    table = createStateTable({ tableName, client: localDynamoClient(endpoint) });
  });
  afterAll(async () => {
    table.client.destroy();
    proxied.dispose();
    await toxiproxy.stop();
    await git.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it(`a run with timeoutMs ${DEADLINE_MS / 1000} s ends within its deadline, says so, records an honest state, and the next run converges`, async () => {
    const c = cluster('cluster-a');
    const name = uniqueName('hung-run');
    const url = git.createRepo(name);
    const app = faultApp(name, url);
    const input = (extra = {}) =>
      runInput(table, app, c, proxied.server, join(work, 'cache'), extra);
    const r0 = commitTree(git.repoPath(name), 'main', configMaps(1, 'zero'));
    expect(await runApplication(input())).toMatchObject({
      status: 'done',
      result: { status: 'Synced', revision: r0 },
    });

    const r1 = commitTree(git.repoPath(name), 'main', configMaps(OBJECTS, 'one'));
    const started = performance.now();
    const running = runApplication(input({ request: { timeoutMs: DEADLINE_MS } })).catch(
      (err: unknown) => err,
    );
    try {
      const applied = await untilApplied(c, name, name, 50);
      expect(applied, 'the toxic must come mid-apply').toBeLessThan(OBJECTS);
      await hang(proxied);
      const outcome = await within(running, DEADLINE_MS + MARGIN_MS - since(started));
      const took = since(started);
      console.log(
        `[fault hung] run with a ${DEADLINE_MS} ms deadline: ${outcome === TIMED_OUT ? 'still running' : 'ended'} after ${took} ms`,
      );
      expect
        .soft(outcome, `the run must end within ${DEADLINE_MS + MARGIN_MS} ms`)
        .not.toBe(TIMED_OUT);
      if (outcome !== TIMED_OUT) {
        expect(outcome).not.toMatchObject({ result: { status: 'Synced' } });
        expect.soft(runError(outcome)).toMatch(/timed out|deadline|timeout/i);
      }
    } finally {
      await release(proxied);
    }
    // Once the server answers again, a run past its deadline must still end.
    const late = await within(running, 60_000);
    expect(late, 'the run ended after the server came back').not.toBe(TIMED_OUT);
    console.log(
      `[fault hung] the run ended after ${since(started)} ms: ${runError(late) || 'no error'}`,
    );

    const record = await readApp(table, name);
    expect.soft(record?.state?.syncStatus, 'state after the timed-out run').not.toBe('Synced');
    expect.soft(record?.state?.health).toBe('Unknown');
    expect.soft(record?.state?.desiredRevision).toBe(r1);
    expect.soft(record?.state?.error ?? '').toMatch(/timed out|deadline|timeout/i);

    const next = await runApplication(input());
    expect(next).toMatchObject({ status: 'done', result: { status: 'Synced', revision: r1 } });
    await expectConverged(c, table, name, name, name, cmNames(OBJECTS), 'one');
  }, 120_000);

  it(`driftless sync --timeout 30s ends within its deadline, exits non-zero with a clear error, status is honest, and the next sync converges`, async () => {
    await ensureCliBuilt();
    const c = cluster('cluster-a');
    const name = uniqueName('hung-cli');
    const project = cliProject(git, work, name, { healthTimeout: '5m' });
    const kc = ['--kubeconfig', proxied.kubeconfig];
    project.commit(configMaps(1, 'zero'));
    const first = await driftless(['sync', '-f', 'app.yaml', '-q', ...kc], { cwd: project.dir });
    expect(first.code, first.stderr).toBe(0);

    const r1 = project.commit(configMaps(OBJECTS, 'one'));
    const started = performance.now();
    const sync = startDriftless(['sync', '-f', 'app.yaml', '--timeout', '30s', ...kc], {
      cwd: project.dir,
    });
    try {
      const applied = await untilApplied(c, name, name, 50);
      expect(applied, 'the toxic must come mid-apply').toBeLessThan(OBJECTS);
      await hang(proxied);
      const code = await within(sync.exited, DEADLINE_MS + MARGIN_MS - since(started));
      const took = since(started);
      console.log(
        `[fault hung] driftless sync --timeout 30s: ${code === TIMED_OUT ? 'still running' : `exited ${code}`} after ${took} ms`,
      );
      expect
        .soft(code, `sync must exit within ${DEADLINE_MS + MARGIN_MS} ms:\n${sync.output()}`)
        .not.toBe(TIMED_OUT);
      if (code !== TIMED_OUT) {
        expect(code, sync.output()).not.toBe(0);
        expect.soft(sync.output()).toMatch(/timed out|deadline|timeout/i);
      }
    } finally {
      await release(proxied);
      if ((await within(sync.exited, 60_000)) === TIMED_OUT) sync.child.kill('SIGKILL');
    }

    const status = await driftless(['status', name, '-o', 'json'], { cwd: project.dir });
    expect(status.code, status.stderr).toBe(0);
    const shown = JSON.parse(status.stdout) as {
      syncing: boolean;
      state: { syncStatus: string; health: string; desiredRevision?: string; error?: string };
    };
    expect.soft(shown.syncing).toBe(false);
    expect.soft(shown.state.syncStatus).not.toBe('Synced');
    expect.soft(shown.state.health).toBe('Unknown');
    expect.soft(shown.state.desiredRevision).toBe(r1);

    const next = await driftless(['sync', '-f', 'app.yaml', '-q', ...kc], { cwd: project.dir });
    expect(next.code, next.stdout + next.stderr).toBe(0);
    const state = await openState(
      { state: join(project.dir, '.driftless/state') },
      { create: false },
    );
    try {
      await expectConverged(c, state!.table, name, name, name, cmNames(OBJECTS), 'one');
    } finally {
      await state?.close();
    }
  }, 120_000);
});
