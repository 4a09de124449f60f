import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openState } from '../../cli/state-store.ts';
import { runApplication } from '../../shared/app-run/run-application.ts';
import { loadApplicationFile } from '../../shared/config/load.ts';
import { engineSettings } from '../../shared/engine/settings.ts';
import { cluster, uniqueName } from '../harness/context.ts';

import { startGitServer, type GitServer } from '../harness/git-server.ts';
import { ensureCliBuilt } from '../helpers/cli.ts';
import { cliProject } from '../helpers/cli-project.ts';
import { deployment } from '../helpers/engine.ts';
import { configMapYaml } from '../helpers/manifests.ts';

describe('driftless sync --timeout (built CLI, local state, cluster-a)', () => {
  let git: GitServer;
  let work: string;
  beforeAll(async () => {
    await ensureCliBuilt();
    git = await startGitServer();
    work = mkdtempSync(join(tmpdir(), 'driftless-cli-timeout-'));
  });
  afterAll(async () => {
    await git.stop();
    rmSync(work, { recursive: true, force: true });
  });

  function project(name: string, files: Record<string, string>) {
    const p = cliProject(git, work, name, { healthTimeout: '5m' });
    p.commit(files);
    return { dir: p.dir, run: (...args: string[]) => p.run(...args, ...p.kc) };
  }

  it('records the Application as declared: a later scheduled reconcile of the same commit is skipped', async () => {
    const name = uniqueName('cli-timeout-spec');
    const p = project(name, { 'app/cm.yaml': configMapYaml('settings', 'one') });
    const synced = await p.run('sync', '-f', 'app.yaml', '--timeout', '45s', '-q');
    expect(synced.code, synced.stderr).toBe(0);

    // What the scheduler would do next with the same, unchanged Application.
    const state = await openState({ state: join(p.dir, '.driftless/state') }, { create: false });
    try {
      const app = loadApplicationFile(join(p.dir, 'app.yaml'));
      const c = cluster('cluster-a');
      const outcome = await runApplication({
        table: state!.table,
        settings: engineSettings({ source: { cacheDir: join(p.dir, 'cache') } }),
        app,
        connect: async () => ({
          server: c.server,
          ca: readFileSync(c.caFile),
          token: c.adminToken,
        }),
        owner: uniqueName('scheduler'),
        trigger: { kind: 'schedule', by: 'test' },
        mode: 'auto',
      });
      expect(outcome).toMatchObject({ status: 'skipped', reason: 'unchanged' });
    } finally {
      await state?.close();
    }
  });

  it('bounds the health wait with state as without it', async () => {
    const name = uniqueName('cli-timeout-wait');
    // No node matches: the Deployment never becomes available.
    const stuck = deployment('stuck', 1, {
      template: {
        metadata: { labels: { app: 'stuck' } },
        spec: {
          nodeSelector: { 'driftless.dev/none': 'x' },
          containers: [{ name: 'web', image: 'nginx:1.27' }],
        },
      },
    });
    const p = project(name, { 'app/deploy.yaml': stringify(stuck) });
    for (const state of [[], ['--no-state']]) {
      const started = Date.now();
      const result = await p.run(
        'sync',
        '-f',
        'app.yaml',
        '--timeout',
        '3s',
        '-o',
        'json',
        ...state,
      );
      const tookMs = Date.now() - started;
      const json = JSON.parse(result.stdout) as { health: { status: string } };
      expect(json.health.status, state.join(' ')).not.toBe('Healthy');
      // The spec's 5 minutes would not have returned yet; the machine may be slow.
      expect(tookMs, state.join(' ')).toBeLessThan(60_000);
    }
  });
});
