import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
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
import {
  cmNames,
  configMaps,
  expectConverged,
  faultApp,
  runError,
  runInput,
  since,
  TIMED_OUT,
  untilApplied,
  within,
} from './support.ts';

const DEADLINE_MS = 45_000;
const MARGIN_MS = 5_000;

describe('fault: the network to the API server (Toxiproxy: outage, resets, latency)', () => {
  let git: GitServer;
  let toxiproxy: Toxiproxy;
  let proxied: ProxiedCluster;
  let work: string;
  let table: StateTable;
  beforeAll(async () => {
    git = await startGitServer();
    toxiproxy = await startToxiproxy();
    proxied = await proxyCluster(toxiproxy, cluster('cluster-a'));
    work = mkdtempSync(join(tmpdir(), 'driftless-fault-net-'));
    const { endpoint, tableName } = inject('dynamo');
    table = createStateTable({ tableName, client: localDynamoClient(endpoint) });
  });
  afterEach(async () => {
    await proxied.proxy.clearToxics();
    await proxied.proxy.enable();
  });
  afterAll(async () => {
    table.client.destroy();
    proxied.dispose();
    await toxiproxy.stop();
    await git.stop();
    rmSync(work, { recursive: true, force: true });
  });

  function setup(prefix: string) {
    const c = cluster('cluster-a');
    const name = uniqueName(prefix);
    const app = faultApp(name, git.createRepo(name));
    const input = (extra = {}) =>
      runInput(table, app, c, proxied.server, join(work, 'cache'), extra);
    const commit = (files: Record<string, string>) => commitTree(git.repoPath(name), 'main', files);
    return { c, name, input, commit };
  }

  /**
   * Runs a sync with DEADLINE_MS while `fault` acts on the proxy, and checks
   * that it ended in time and Synced, that state says so, and that the
   * cluster and the inventory match the revision.
   */
  async function syncThrough(
    label: string,
    objects: number,
    fault: (s: ReturnType<typeof setup>) => Promise<void>,
  ): Promise<void> {
    const s = setup(label);
    const revision = s.commit(configMaps(objects, 'one'));
    const started = performance.now();
    const running = runApplication(s.input({ request: { timeoutMs: DEADLINE_MS } })).catch(
      (err: unknown) => err,
    );
    let outcome: unknown;
    try {
      await fault(s);
      outcome = await within(running, DEADLINE_MS + MARGIN_MS - since(started));
    } finally {
      await proxied.proxy.clearToxics();
      await proxied.proxy.enable();
    }
    const took = since(started);
    console.log(
      `[fault ${label}] ${objects} objects: ${outcome === TIMED_OUT ? 'still running' : runError(outcome) || 'no error'} after ${took} ms`,
    );
    expect(outcome, `the run must end within ${DEADLINE_MS + MARGIN_MS} ms`).not.toBe(TIMED_OUT);
    expect.soft(outcome, runError(outcome)).toMatchObject({
      status: 'done',
      result: { status: 'Synced', revision },
    });
    const synced = (outcome as { result?: { status?: string } }).result?.status === 'Synced';
    const state = (await readApp(table, s.name))?.state;
    if (!synced) {
      expect.soft(state?.syncStatus, 'state after the failed run').not.toBe('Synced');
      // Whatever the run did, the next one without faults converges.
      const next = await runApplication(s.input());
      expect(next).toMatchObject({ status: 'done', result: { status: 'Synced', revision } });
    } else expect(state).toMatchObject({ syncStatus: 'Synced', syncedRevision: revision });
    await expectConverged(s.c, table, s.name, s.name, s.name, cmNames(objects), 'one');
  }

  it('a 3-second outage (connections refused) during a 1,000-object sync: the sync succeeds within its deadline', async () => {
    await syncThrough('outage', 1_000, async (s) => {
      const applied = await untilApplied(s.c, s.name, s.name, 50);
      expect(applied, 'the outage must come mid-apply').toBeLessThan(1_000);
      await proxied.proxy.disable();
      await sleep(3_000);
      await proxied.proxy.enable();
    });
  }, 120_000);

  it('connections reset (reset_peer) in three bursts during a sync: it ends Synced and converges', async () => {
    await syncThrough('resets', 300, async (s) => {
      // A little latency stretches the apply over the bursts.
      await proxied.proxy.addToxic({ type: 'latency', attributes: { latency: 50 } });
      const applied = await untilApplied(s.c, s.name, s.name, 20);
      expect(applied, 'the resets must come mid-apply').toBeLessThan(300);
      for (let burst = 0; burst < 3; burst++) {
        const toxic = await proxied.proxy.addToxic({
          type: 'reset_peer',
          attributes: { timeout: 0 },
        });
        await sleep(300);
        await proxied.proxy.removeToxic(toxic);
        await sleep(700);
      }
    });
  }, 120_000);

  it('200 ms of added latency on every answer: the sync ends Synced within its deadline and converges', async () => {
    await syncThrough('latency', 300, async () => {
      await proxied.proxy.addToxic({ type: 'latency', attributes: { latency: 200, jitter: 20 } });
    });
  }, 120_000);
});
