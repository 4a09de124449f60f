import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { runApplication } from '../../shared/app-run/run-application.ts';
import { createStateTable, type StateTable } from '../../shared/state/client.ts';
import { readApp } from '../../shared/state/head.ts';
import { readInventory } from '../../shared/state/inventory-store.ts';
import { cluster, uniqueName } from '../harness/context.ts';
import { localDynamoClient } from '../harness/dynamodb.ts';
import { commitTree } from '../harness/git-fixtures.ts';
import { startGitServer, type GitServer } from '../harness/git-server.ts';
import {
  proxyGitServer,
  startToxiproxy,
  type ToxicProxy,
  type Toxiproxy,
} from '../harness/toxiproxy.ts';
import {
  cmNames,
  configMaps,
  expectConverged,
  faultApp,
  liveConfigMaps,
  runError,
  runInput,
  since,
  TIMED_OUT,
  within,
} from './support.ts';

const OBJECTS = 50;
const DEADLINE_MS = 30_000;
const MARGIN_MS = 5_000;

describe('fault: the git server (Toxiproxy in front of git http-backend)', () => {
  let git: GitServer;
  let toxiproxy: Toxiproxy;
  let proxy: ToxicProxy;
  let proxiedUrl: string;
  let work: string;
  let table: StateTable;
  beforeAll(async () => {
    git = await startGitServer();
    toxiproxy = await startToxiproxy();
    ({ proxy, url: proxiedUrl } = await proxyGitServer(toxiproxy, git));
    work = mkdtempSync(join(tmpdir(), 'driftless-fault-git-'));
    const { endpoint, tableName } = inject('dynamo');
    table = createStateTable({ tableName, client: localDynamoClient(endpoint) });
  });
  afterEach(async () => {
    await proxy.clearToxics();
    await proxy.enable();
  });
  afterAll(async () => {
    table.client.destroy();
    await toxiproxy.stop();
    await git.stop();
    rmSync(work, { recursive: true, force: true });
  });

  /**
   * An application synced at r0 through the proxy, and a commit r1 that
   * changes every ConfigMap and adds 2 MB of incompressible data, so its pack
   * is large enough to be cut in the middle.
   */
  async function syncedApp(prefix: string) {
    const c = cluster('cluster-a');
    const name = uniqueName(prefix);
    git.createRepo(name);
    const app = faultApp(name, `${proxiedUrl}/${name}.git`);
    // Each test its own cache: a commit fetched once is not fetched again.
    const cacheDir = join(work, name);
    const input = (extra = {}) => runInput(table, app, c, c.server, cacheDir, extra);
    const r0 = commitTree(git.repoPath(name), 'main', configMaps(OBJECTS, 'zero'));
    expect(await runApplication(input())).toMatchObject({
      status: 'done',
      result: { status: 'Synced', revision: r0 },
    });
    const r1 = commitTree(git.repoPath(name), 'main', {
      ...configMaps(OBJECTS, 'one'),
      'blob.bin': randomBytes(2 * 1024 * 1024),
    });
    return { c, name, input, r0, r1 };
  }

  /** The run failed in time with a clear error, and nothing moved: cluster, inventory and synced revision are r0's. */
  async function expectPreviousIntact(
    s: Awaited<ReturnType<typeof syncedApp>>,
    outcome: unknown,
    took: number,
    error: RegExp,
  ): Promise<void> {
    expect(outcome, `the run must end within ${DEADLINE_MS + MARGIN_MS} ms`).not.toBe(TIMED_OUT);
    expect(took).toBeLessThan(DEADLINE_MS + MARGIN_MS);
    expect(outcome).not.toMatchObject({ result: { status: 'Synced' } });
    const message = runError(outcome);
    expect.soft(message).toMatch(error);
    // Names what could not be reached.
    expect.soft(message).toContain(`${s.name}.git`);
    const values = (await liveConfigMaps(s.c, s.name))
      .filter((o) => o.metadata.name.startsWith('cm-'))
      .map((o) => o.data?.value);
    expect(new Set(values)).toEqual(new Set(['zero']));
    const inventory = await readInventory(table, s.name);
    expect(inventory?.revision).toBe(s.r0);
    expect(inventory?.entries).toHaveLength(OBJECTS);
    const state = (await readApp(table, s.name))?.state;
    expect.soft(state?.syncedRevision).toBe(s.r0);
    expect.soft(state?.error ?? '').toMatch(error);
  }

  it('a pack cut mid-way (limit_data): a clear error, the previous state intact, the next run converges', async () => {
    const s = await syncedApp('git-cut');
    const before = git.requests(s.name).fetches;
    await proxy.addToxic({ type: 'limit_data', attributes: { bytes: 256 * 1024 } });
    const started = performance.now();
    const outcome = await within(
      runApplication(s.input({ request: { timeoutMs: DEADLINE_MS } })).catch((e: unknown) => e),
      DEADLINE_MS + MARGIN_MS,
    );
    const took = since(started);
    console.log(
      `[fault git-cut] ${outcome === TIMED_OUT ? 'still running' : runError(outcome)} after ${took} ms`,
    );
    expect(git.requests(s.name).fetches, 'the fetch reached the server').toBeGreaterThan(before);
    await expectPreviousIntact(
      s,
      outcome,
      took,
      /cannot reach|ECONNRESET|fetch|pack|closed|ended|EOF/i,
    );

    await proxy.clearToxics();
    expect(await runApplication(s.input())).toMatchObject({
      status: 'done',
      result: { status: 'Synced', revision: s.r1 },
    });
    await expectConverged(s.c, table, s.name, s.name, s.name, cmNames(OBJECTS), 'one');
  }, 90_000);

  it('the git server unreachable (connection refused): a clear error, the previous state intact, the next run converges', async () => {
    const s = await syncedApp('git-down');
    await proxy.disable();
    const started = performance.now();
    const outcome = await within(
      runApplication(s.input({ request: { timeoutMs: DEADLINE_MS } })).catch((e: unknown) => e),
      DEADLINE_MS + MARGIN_MS,
    );
    const took = since(started);
    console.log(
      `[fault git-down] ${outcome === TIMED_OUT ? 'still running' : runError(outcome)} after ${took} ms`,
    );
    await expectPreviousIntact(
      s,
      outcome,
      took,
      /cannot reach the server \(ECONNREFUSED\)|refused/i,
    );

    await proxy.enable();
    expect(await runApplication(s.input())).toMatchObject({
      status: 'done',
      result: { status: 'Synced', revision: s.r1 },
    });
    await expectConverged(s.c, table, s.name, s.name, s.name, cmNames(OBJECTS), 'one');
  }, 90_000);
});
