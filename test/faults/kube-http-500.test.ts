import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runApplication } from '../../shared/app-run/run-application.ts';
import { createStateTable, type StateTable } from '../../shared/state/client.ts';
import { readApp } from '../../shared/state/head.ts';
import { cluster, uniqueName } from '../harness/context.ts';
import { localDynamoClient } from '../harness/dynamodb.ts';
import { commitTree } from '../harness/git-fixtures.ts';
import { startGitServer, type GitServer } from '../harness/git-server.ts';
import { startHttpFaultPoint, type HttpFaultPoint } from '../harness/http-fault-point.ts';
import { random } from '../helpers/random.ts';
import {
  cmNames,
  configMaps,
  expectConverged,
  faultApp,
  runError,
  runInput,
  since,
  TIMED_OUT,
  within,
} from './support.ts';

const OBJECTS = 1_000;
const DEADLINE_MS = 45_000;
const MARGIN_MS = 5_000;
// Fixed, so a failing run can be replayed with the same faults.
const SEED = 500;

describe('fault: 1% of API server answers are HTTP 500 (HTTP fault point)', () => {
  let git: GitServer;
  let faults: HttpFaultPoint;
  let work: string;
  let table: StateTable;
  beforeAll(async () => {
    git = await startGitServer();
    faults = await startHttpFaultPoint(cluster('cluster-a'), { failRate: 0, random: random(SEED) });
    work = mkdtempSync(join(tmpdir(), 'driftless-fault-500-'));
    const { endpoint, tableName } = inject('dynamo');
    table = createStateTable({ tableName, client: localDynamoClient(endpoint) });
  });
  afterAll(async () => {
    table.client.destroy();
    await faults.stop();
    await git.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it(`a ${OBJECTS}-object sync is retried through the 500s and ends Synced within its deadline`, async () => {
    const c = cluster('cluster-a');
    const name = uniqueName('http500');
    const url = git.createRepo(name);
    const app = faultApp(name, url);
    const input = (extra = {}) =>
      runInput(table, app, c, faults.server, join(work, 'cache'), extra);
    const r1 = commitTree(git.repoPath(name), 'main', configMaps(OBJECTS, 'one'));

    faults.failRate = 0.01;
    const before = { ...faults.counts };
    const started = performance.now();
    const outcome = await within(
      runApplication(input({ request: { timeoutMs: DEADLINE_MS } })).catch((err: unknown) => err),
      DEADLINE_MS + MARGIN_MS,
    );
    const took = since(started);
    faults.failRate = 0;
    const requests = faults.counts.requests - before.requests;
    const injected = faults.counts.faults - before.faults;
    console.log(
      `[fault 500] ${injected} of ${requests} answers were 500; the run ended after ${took} ms: ${outcome === TIMED_OUT ? 'still running' : runError(outcome) || 'no error'}`,
    );
    expect(injected, 'the fault point must have failed some requests').toBeGreaterThan(0);
    expect(outcome, `the run must end within ${DEADLINE_MS + MARGIN_MS} ms`).not.toBe(TIMED_OUT);
    expect.soft(outcome, runError(outcome)).toMatchObject({
      status: 'done',
      result: { status: 'Synced', revision: r1 },
    });
    const state = (await readApp(table, name))?.state;
    // Honest either way: Synced only if the run really synced.
    if ((outcome as { result?: { status?: string } }).result?.status !== 'Synced')
      expect.soft(state?.syncStatus).not.toBe('Synced');

    // Converged: at once if the retries carried the run, else after one more run without faults.
    if ((outcome as { result?: { status?: string } }).result?.status !== 'Synced') {
      const next = await runApplication(input());
      expect(next).toMatchObject({ status: 'done', result: { status: 'Synced', revision: r1 } });
    }
    await expectConverged(c, table, name, name, name, cmNames(OBJECTS), 'one');
  }, 120_000);
});
