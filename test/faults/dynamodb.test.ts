import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runApplication } from '../../shared/app-run/run-application.ts';
import type { ReconcileProgress } from '../../shared/engine/reconcile.ts';
import { readApp } from '../../shared/state/head.ts';
import { readInventory } from '../../shared/state/inventory-store.ts';
import { APP_LABEL } from '../../shared/sync/ownership.ts';
import { cluster, uniqueName } from '../harness/context.ts';
import { commitTree } from '../harness/git-fixtures.ts';
import { startGitServer, type GitServer } from '../harness/git-server.ts';
import { startFaultProxy, type FaultProxy } from '../integration/fixtures/dynamo-fault-proxy.ts';
import { localStateTable } from '../integration/fixtures/state-table.ts';
import {
  armFault,
  cmNames,
  configMaps,
  expectConverged,
  faultApp,
  liveConfigMaps,
  runError,
  runInput,
  runWhenFree,
  since,
  TIMED_OUT,
  within,
} from './support.ts';

const OBJECTS = 300;
// r1 adds these, so its inventory differs from r0's by more than resourceVersions.
const ADDED = 20;
const DEADLINE_MS = 30_000;
const MARGIN_MS = 5_000;
// One lease TTL (15 s) for the dead run's lease, and a loaded machine.
const LEASE_WAIT_MS = 25_000;

describe('fault: DynamoDB (the fault proxy in front of dynalite)', () => {
  const { endpoint, tableName } = inject('dynamo');
  let git: GitServer;
  let work: string;
  const proxies: FaultProxy[] = [];
  // Straight to dynalite, for the checks.
  const direct = localStateTable(endpoint, tableName);
  beforeAll(async () => {
    git = await startGitServer();
    work = mkdtempSync(join(tmpdir(), 'driftless-fault-dynamo-'));
  });
  afterAll(async () => {
    direct.client.destroy();
    await Promise.all(proxies.map((p) => p.stop()));
    await git.stop();
    rmSync(work, { recursive: true, force: true });
  });

  /**
   * An application synced at r0 through its own fault proxy, and r1 committed.
   * The SDK's retries are cut to 3 attempts (production: 8, about 35 s of
   * backoff) so a fault that outlasts them shows within the test's time.
   */
  async function syncedApp(prefix: string) {
    const proxy = await startFaultProxy(endpoint);
    proxies.push(proxy);
    const table = localStateTable(proxy.endpoint, tableName, { maxAttempts: 3 });
    const c = cluster('cluster-a');
    const name = uniqueName(prefix);
    const app = faultApp(name, git.createRepo(name));
    const input = (extra = {}) => runInput(table, app, c, c.server, join(work, 'cache'), extra);
    const r0 = commitTree(git.repoPath(name), 'main', configMaps(OBJECTS, 'zero'));
    expect(await runApplication(input())).toMatchObject({
      status: 'done',
      result: { status: 'Synced', revision: r0 },
    });
    const r1 = commitTree(git.repoPath(name), 'main', configMaps(OBJECTS + ADDED, 'one'));
    return { proxy, table, c, name, input, r0, r1 };
  }

  /**
   * Nothing half-written: head item and inventory read back whole (no
   * corrupt or partial generation), the inventory lists every object of the
   * app on the cluster (none escapes a later prune), and the state says a
   * sync of r1 was under way or did not succeed, never that r1 is synced.
   */
  async function expectNothingHalfWritten(s: Awaited<ReturnType<typeof syncedApp>>) {
    const record = await readApp(direct, s.name);
    const inventory = await readInventory(direct, s.name);
    const listed = new Set((inventory?.entries ?? []).map((e) => e.name));
    const live = (await liveConfigMaps(s.c, s.name))
      .filter((o) => o.metadata.labels?.[APP_LABEL] === s.name)
      .map((o) => o.metadata.name);
    expect(
      live.filter((n) => !listed.has(n)),
      'objects on the cluster the inventory does not list',
    ).toEqual([]);
    const state = record?.state;
    const honest =
      state?.operation?.revision === s.r1 ||
      (state?.syncStatus !== 'Synced' && state?.desiredRevision === s.r1);
    expect.soft(honest, `state: ${JSON.stringify(state)}`).toBe(true);
    expect(state?.syncedRevision === s.r1 && state.syncStatus === 'Synced').toBe(false);
  }

  /** Once the fault is healed, the next run (after the dead run's lease) converges. */
  async function expectConvergesAfter(s: Awaited<ReturnType<typeof syncedApp>>) {
    const { outcome, waitedMs } = await runWhenFree(() => runApplication(s.input()), LEASE_WAIT_MS);
    console.log(`[fault dynamodb] the next run started after ${waitedMs} ms of busy lease`);
    expect(outcome).toMatchObject({ status: 'done', result: { status: 'Synced', revision: s.r1 } });
    await expectConverged(s.c, direct, s.name, s.name, s.name, cmNames(OBJECTS + ADDED), 'one');
  }

  it('connection loss while the inventory is written before the first cluster write: a clear error, nothing half-written, nothing applied, the next run converges', async () => {
    const s = await syncedApp('ddb-cut');
    let fault: ReturnType<typeof armFault> | undefined;
    // "applying N changed object(s)" comes right before the inventory of intent is
    // written: its first request passes, the connection is lost from the next on.
    const onProgress = (p: ReconcileProgress) => {
      if (!fault && p.phase === 'apply' && p.message.startsWith('applying'))
        fault = armFault(s.proxy, 1, 'partition');
    };
    const started = performance.now();
    const outcome = await within(
      runApplication(s.input({ request: { timeoutMs: DEADLINE_MS }, onProgress })).catch(
        (e: unknown) => e,
      ),
      DEADLINE_MS + MARGIN_MS,
    );
    const took = since(started);
    fault?.heal();
    console.log(
      `[fault ddb-cut] ${outcome === TIMED_OUT ? 'still running' : runError(outcome)} after ${took} ms`,
    );
    expect(fault?.started, 'the partition must have started').toBe(true);
    expect(outcome, `the run must end within ${DEADLINE_MS + MARGIN_MS} ms`).not.toBe(TIMED_OUT);
    expect(outcome).not.toMatchObject({ result: { status: 'Synced' } });
    const message = runError(outcome);
    expect(message).toContain(`table ${tableName}, app ${s.name}`);
    expect(message).toMatch(/socket|ECONNRESET|hang up|network|connection/i);

    await expectNothingHalfWritten(s);
    // The inventory that would cover them was not stored, so nothing was applied.
    const values = (await liveConfigMaps(s.c, s.name))
      .filter((o) => o.metadata.labels?.[APP_LABEL] === s.name)
      .map((o) => `${o.metadata.name}=${o.data?.value}`);
    expect(values.sort()).toEqual(cmNames(OBJECTS).map((n) => `${n}=zero`));

    await expectConvergesAfter(s);
  }, 120_000);

  it('a throttling storm while the run records its result: a clear error, nothing half-written, the next run converges', async () => {
    const s = await syncedApp('ddb-throttle');
    let fault: ReturnType<typeof armFault> | undefined;
    // The health wait is the engine's last phase: what follows is the records'
    // writes (inventory, history, state). The first passes, the storm takes the rest.
    const onProgress = (p: ReconcileProgress) => {
      if (!fault && p.phase === 'health') fault = armFault(s.proxy, 1, 'throttle');
    };
    const started = performance.now();
    const outcome = await within(
      runApplication(s.input({ request: { timeoutMs: DEADLINE_MS }, onProgress })).catch(
        (e: unknown) => e,
      ),
      DEADLINE_MS + MARGIN_MS,
    );
    const took = since(started);
    fault?.heal();
    console.log(
      `[fault ddb-throttle] ${outcome === TIMED_OUT ? 'still running' : runError(outcome)} after ${took} ms`,
    );
    expect(fault?.started, 'the storm must have started').toBe(true);
    expect(outcome, `the run must end within ${DEADLINE_MS + MARGIN_MS} ms`).not.toBe(TIMED_OUT);
    const message = runError(outcome);
    expect(message).toContain(`table ${tableName}, app ${s.name}`);
    expect(message).toMatch(/throttled/i);

    await expectNothingHalfWritten(s);
    await expectConvergesAfter(s);
  }, 120_000);
});
