import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openState } from '../../cli/state-store.ts';
import { DEFAULT_LEASE_TTL_MS } from '../../shared/state/lease.ts';
import { cluster, uniqueName } from '../harness/context.ts';
import { startGitServer, type GitServer } from '../harness/git-server.ts';
import {
  proxyCluster,
  startToxiproxy,
  type ProxiedCluster,
  type Toxiproxy,
} from '../harness/toxiproxy.ts';
import { driftless, ensureCliBuilt, startDriftless } from '../helpers/cli.ts';
import { cliProject } from '../helpers/cli-project.ts';
import { cmNames, configMaps, expectConverged, liveConfigMaps, since } from './support.ts';

const OBJECTS = 300;

/** How many of the app's ConfigMaps hold `value` now. */
async function holding(name: string, value: string): Promise<number> {
  return (await liveConfigMaps(cluster('cluster-a'), name)).filter((o) => o.data?.value === value)
    .length;
}

describe('fault: the CLI is killed (SIGKILL) mid-apply', () => {
  let git: GitServer;
  let toxiproxy: Toxiproxy;
  let proxied: ProxiedCluster;
  let work: string;
  beforeAll(async () => {
    await ensureCliBuilt();
    git = await startGitServer();
    toxiproxy = await startToxiproxy();
    proxied = await proxyCluster(toxiproxy, cluster('cluster-a'));
    work = mkdtempSync(join(tmpdir(), 'driftless-fault-kill-'));
  });
  afterAll(async () => {
    proxied.dispose();
    await toxiproxy.stop();
    await git.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('status after the lease expired shows the interrupted revision, not Synced; the next sync starts within seconds and converges', async () => {
    const name = uniqueName('cli-killed');
    const project = cliProject(git, work, name, { healthTimeout: '60s' });
    const args = ['sync', '-f', 'app.yaml', '--kubeconfig', proxied.kubeconfig];
    project.commit(configMaps(OBJECTS, 'zero'));
    const first = await driftless([...args, '-q'], { cwd: project.dir });
    expect(first.code, first.stdout + first.stderr).toBe(0);

    const r1 = project.commit(configMaps(OBJECTS, 'one'));
    // Slower answers stretch the apply, so the kill lands in its middle.
    await proxied.proxy.addToxic({ type: 'latency', attributes: { latency: 100 } });
    const killed = startDriftless(args, { cwd: project.dir });
    const kill = { at: 0 };
    try {
      const deadline = Date.now() + 60_000;
      while ((await holding(name, 'one')) < 20) {
        if (Date.now() > deadline)
          throw new Error(`the sync did not start applying:\n${killed.output()}`);
        await sleep(50);
      }
      killed.child.kill('SIGKILL');
      kill.at = performance.now();
      expect(await killed.exited).toBeNull();
    } finally {
      killed.child.kill('SIGKILL');
      await proxied.proxy.clearToxics();
    }
    const applied = await holding(name, 'one');
    console.log(`[fault cli-kill] killed with ${applied} of ${OBJECTS} ConfigMaps at r1`);
    expect(applied, 'the kill must come mid-apply').toBeLessThan(OBJECTS);

    // Until the lease expires, status says a sync is running; then it must not say Synced.
    let shown: {
      syncing: boolean;
      state: {
        syncStatus: string;
        syncReason?: string;
        health: string;
        operation?: { revision: string };
      };
    };
    for (;;) {
      const status = await driftless(['status', name, '-o', 'json'], { cwd: project.dir });
      expect(status.code, status.stderr).toBe(0);
      shown = JSON.parse(status.stdout) as typeof shown;
      if (!shown.syncing) break;
      expect(since(kill.at), 'the lease must expire within one TTL').toBeLessThan(
        DEFAULT_LEASE_TTL_MS + 5_000,
      );
      await sleep(500);
    }
    const expiredAfter = since(kill.at);
    const table = await driftless(['status', name], { cwd: project.dir });
    const lines = table.stdout.split('\n');
    const header = lines[0] ?? '';
    const row = lines.find((l) => l.startsWith(name)) ?? '';
    const column = (title: string, next: string) =>
      row.slice(header.indexOf(title), header.indexOf(next)).trim();
    console.log(
      `[fault cli-kill] lease expired ${expiredAfter} ms after the kill; status:\n${table.stdout}`,
    );
    expect.soft(shown.state.syncStatus, JSON.stringify(shown.state)).not.toBe('Synced');
    expect.soft(shown.state.health).toBe('Unknown');
    expect.soft(shown.state.operation?.revision).toBe(r1);
    expect.soft(column('SYNC', 'HEALTH'), row).toMatch(/^(Interrupted|OutOfSync)$/);
    expect.soft(column('HEALTH', 'REVISION'), row).toBe('Unknown');
    expect.soft(row, 'the status names the interrupted revision').toContain(r1.slice(0, 7));

    // The lease is free: the next sync starts at once and converges.
    const started = performance.now();
    const next = startDriftless(args, { cwd: project.dir });
    const deadline = Date.now() + 30_000;
    while (!next.output().includes('[source]')) {
      if (Date.now() > deadline) throw new Error(`the next sync did not start:\n${next.output()}`);
      await sleep(50);
    }
    const startedAfter = since(started);
    const code = await next.exited;
    console.log(
      `[fault cli-kill] the next sync started after ${startedAfter} ms, done after ${since(started)} ms`,
    );
    expect(startedAfter, next.output()).toBeLessThan(5_000);
    expect(code, next.output()).toBe(0);
    const state = await openState(
      { state: join(project.dir, '.driftless/state') },
      { create: false },
    );
    try {
      await expectConverged(
        cluster('cluster-a'),
        state!.table,
        name,
        name,
        name,
        cmNames(OBJECTS),
        'one',
      );
    } finally {
      await state?.close();
    }
  }, 120_000);
});
