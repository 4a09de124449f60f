import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openState } from '../../cli/state-store.ts';
import { uniqueName } from '../harness/context.ts';
import {
  startControlPlane,
  type ControlPlane,
  type LocalCluster,
} from '../harness/control-plane.ts';
import { startGitServer, type GitServer } from '../harness/git-server.ts';
import { driftless, ensureCliBuilt, startDriftless } from '../helpers/cli.ts';
import { cliProject } from '../helpers/cli-project.ts';
import {
  cmNames,
  configMaps,
  expectConverged,
  since,
  TIMED_OUT,
  untilApplied,
  within,
} from './support.ts';

const OBJECTS = 1_000;
const DEADLINE_MS = 30_000;
const MARGIN_MS = 5_000;

// A control plane of its own: the shared clusters serve every other test
// file, and a stopped API server would stall them all.
describe('fault: the API server process is SIGSTOPped mid-apply (a control plane of its own)', () => {
  let plane: ControlPlane;
  let target: LocalCluster;
  let git: GitServer;
  let work: string;
  beforeAll(async () => {
    await ensureCliBuilt();
    plane = await startControlPlane({ clusterNames: ['stopped'], nodes: 1 });
    target = plane.clusters[0]!;
    git = await startGitServer();
    work = mkdtempSync(join(tmpdir(), 'driftless-fault-sigstop-'));
  }, 120_000);
  afterAll(async () => {
    await git?.stop();
    await plane?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('driftless sync --timeout 30s (with state) exits within ~35 s with a clear message, is OutOfSync at the interrupted revision, and after SIGCONT the next sync converges', async () => {
    const name = uniqueName('sigstop');
    const project = cliProject(git, work, name, { healthTimeout: '5m' });
    const kc = ['--kubeconfig', target.kubeconfig];
    project.commit(configMaps(1, 'zero'));
    const first = await driftless(['sync', '-f', 'app.yaml', '-q', ...kc], { cwd: project.dir });
    expect(first.code, first.stderr).toBe(0);

    const r1 = project.commit(configMaps(OBJECTS, 'one'));
    const pid = plane.apiServerPid('stopped');
    const started = performance.now();
    const sync = startDriftless(['sync', '-f', 'app.yaml', '--timeout', '30s', ...kc], {
      cwd: project.dir,
    });
    try {
      const applied = await untilApplied(target, name, name, 50);
      expect(applied, 'the stop must come mid-apply').toBeLessThan(OBJECTS);
      process.kill(pid, 'SIGSTOP');
      const code = await within(sync.exited, DEADLINE_MS + MARGIN_MS - since(started));
      console.log(
        `[fault sigstop] driftless sync --timeout 30s: ${code === TIMED_OUT ? 'still running' : `exited ${code}`} after ${since(started)} ms`,
      );
      expect(
        code,
        `sync must exit within ${DEADLINE_MS + MARGIN_MS} ms:\n${sync.output()}`,
      ).not.toBe(TIMED_OUT);
      expect(code, sync.output()).not.toBe(0);
      expect(sync.output()).toMatch(/deadline passed \(timeout 30 s\)/);
    } finally {
      process.kill(pid, 'SIGCONT');
      if ((await within(sync.exited, 60_000)) === TIMED_OUT) sync.child.kill('SIGKILL');
    }

    const status = await driftless(['status', name, '-o', 'json'], { cwd: project.dir });
    expect(status.code, status.stderr).toBe(0);
    const shown = JSON.parse(status.stdout) as {
      syncing: boolean;
      state: { syncStatus: string; health: string; desiredRevision?: string };
    };
    expect(shown.syncing).toBe(false);
    expect(shown.state.syncStatus).toBe('OutOfSync');
    expect(shown.state.health).toBe('Unknown');
    expect(shown.state.desiredRevision).toBe(r1);

    const next = await driftless(['sync', '-f', 'app.yaml', '-q', ...kc], { cwd: project.dir });
    expect(next.code, next.stdout + next.stderr).toBe(0);
    const state = await openState(
      { state: join(project.dir, '.driftless/state') },
      { create: false },
    );
    try {
      await expectConverged(target, state!.table, name, name, name, cmNames(OBJECTS), 'one');
    } finally {
      await state?.close();
    }
  }, 180_000);
});
