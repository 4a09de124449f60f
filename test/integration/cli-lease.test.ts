import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LEASE_TTL_MS } from '../../shared/state/lease.ts';
import { cluster, uniqueName } from '../harness/context.ts';

import { startGitServer, type GitServer } from '../harness/git-server.ts';
import { ensureCliBuilt, startDriftless } from '../helpers/cli.ts';
import { cliProject } from '../helpers/cli-project.ts';
import { configMapValue, kubectl } from '../helpers/engine.ts';
import { configMapYaml } from '../helpers/manifests.ts';

/** A one-replica Deployment; a `stuck` one is never scheduled, so its sync waits for health until the timeout. */
function deploymentYaml(stuck: boolean): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
${stuck ? "      nodeSelector: { driftless.dev/no-such-node: 'true' }\n" : ''}      containers: [{ name: web, image: 'nginx:1.27' }]
`;
}

async function until(what: string, check: () => boolean, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
  return Date.now();
}

describe('driftless CLI and the lease (built bundle, run as a subprocess)', () => {
  let git: GitServer;
  let work: string;
  beforeAll(async () => {
    await ensureCliBuilt();
    git = await startGitServer();
    work = mkdtempSync(join(tmpdir(), 'driftless-cli-lease-'));
  });
  afterAll(async () => {
    await git.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('after kill -9 of a running sync, the next sync starts within about one lease TTL and converges', async () => {
    const name = uniqueName('cli-kill');
    const project = cliProject(git, work, name, { healthTimeout: '60s' });
    const dir = project.dir;
    const commit = (stuck: boolean, value: string) =>
      project.commit({
        'app/web.yaml': deploymentYaml(stuck),
        'app/cm.yaml': configMapYaml('settings', value),
      });
    const args = ['sync', '-f', 'app.yaml', '--kubeconfig', cluster('cluster-a').kubeconfig];

    commit(true, 'one');
    const first = startDriftless(args, { cwd: dir });
    // Applied and waiting for a Deployment that never becomes healthy: the lease is held and renewed.
    await until(
      'the first sync to wait for health',
      () => first.output().includes('[health]'),
      60_000,
    );
    first.child.kill('SIGKILL');
    const killedAt = Date.now();
    expect(await first.exited).toBeNull();

    commit(false, 'two');
    const second = startDriftless(args, { cwd: dir });
    await until(
      'the second sync to meet the lease',
      () => second.output().includes('waiting for'),
      30_000,
    );
    const startedAt = await until(
      'the second sync to start',
      () => second.output().includes('[source]'),
      4 * DEFAULT_LEASE_TTL_MS,
    );
    const code = await second.exited;
    const startedAfterMs = startedAt - killedAt;
    console.log(
      `[cli-lease] second sync started ${startedAfterMs} ms after the kill, finished ${Date.now() - killedAt} ms after it`,
    );
    expect(code, second.output()).toBe(0);
    // One TTL at most (the kill may come just after a renewal) plus a poll and a loaded machine.
    expect(startedAfterMs).toBeLessThan(DEFAULT_LEASE_TTL_MS + 10_000);
    expect(await configMapValue(cluster('cluster-a'), name, 'settings')).toBe('two');
    expect(
      await kubectl(
        cluster('cluster-a'),
        'get',
        'deployment',
        'web',
        '-n',
        name,
        '-o',
        'jsonpath={.status.availableReplicas}',
      ),
    ).toBe('1');
  }, 180_000);
});
