import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { cluster, uniqueName } from '../harness/context.ts';
import { commitTree } from '../harness/git-fixtures.ts';
import { startGitServer, type GitServer } from '../harness/git-server.ts';
import { writeTokenKubeconfig } from '../harness/kubeconfig.ts';
import {
  driftless,
  ensureCliBuilt,
  serveAuthorization,
  servePort,
  startDriftless,
} from '../helpers/cli.ts';
import { cliProject } from '../helpers/cli-project.ts';
import { configMapValue, kubectl } from '../helpers/engine.ts';
import { configMapYaml, githubPush } from '../helpers/manifests.ts';

/** The documented shape of `--output json` for diff and sync. */
const ResultJson = z.object({
  app: z.string(),
  cluster: z.string(),
  revision: z.string().regex(/^[0-9a-f]{40}$/),
  dryRun: z.boolean(),
  status: z.enum(['Synced', 'OutOfSync', 'Failed']),
  inSync: z.boolean(),
  error: z.string().optional(),
  objects: z.array(
    z.object({
      ref: z.object({
        apiVersion: z.string(),
        kind: z.string(),
        namespace: z.string().optional(),
        name: z.string(),
      }),
      action: z.enum(['Created', 'Configured', 'Unchanged', 'Pruned', 'Skipped', 'Failed']),
      diff: z.string().optional(),
      message: z.string().optional(),
      health: z.object({ status: z.string(), message: z.string().optional() }).optional(),
    }),
  ),
  counts: z.record(z.string(), z.number()),
  health: z.object({ status: z.string(), message: z.string().optional() }),
  timings: z.object({ totalMs: z.number() }).passthrough(),
});

describe('driftless CLI (built bundle, run as a subprocess)', () => {
  let git: GitServer;
  let work: string;
  beforeAll(async () => {
    await ensureCliBuilt();
    git = await startGitServer();
    work = mkdtempSync(join(tmpdir(), 'driftless-cli-'));
  });
  afterAll(async () => {
    await git.stop();
    rmSync(work, { recursive: true, force: true });
  });

  const project = (name: string, options: { prune?: boolean } = {}) =>
    cliProject(git, work, name, { ...options, selfHeal: true });

  it('diff --exit-code is 1 when out of sync and 0 once synced; JSON follows the documented schema', async () => {
    const p = project(uniqueName('cli-diff'));
    p.commit({ 'app/cm.yaml': configMapYaml('settings', 'one') });
    const before = await p.run('diff', '-f', 'app.yaml', ...p.kc, '--exit-code');
    expect(before.code).toBe(1);
    expect(before.stdout).toContain('+ ConfigMap');
    expect(before.stdout).toMatch(/OutOfSync .* \(dry run\)/);
    const plain = await p.run('diff', '-f', 'app.yaml', ...p.kc);
    expect(plain.code).toBe(0);

    const json = await p.run('diff', '-f', 'app.yaml', ...p.kc, '-o', 'json');
    const parsed = ResultJson.parse(JSON.parse(json.stdout));
    expect(parsed).toMatchObject({
      status: 'OutOfSync',
      inSync: false,
      dryRun: true,
      counts: { Created: 1 },
    });
    expect(parsed.objects[0]?.diff).toContain('+  value: one');

    const synced = await p.run('sync', '-f', 'app.yaml', ...p.kc, '-o', 'json');
    expect(synced.code).toBe(0);
    expect(ResultJson.parse(JSON.parse(synced.stdout))).toMatchObject({
      status: 'Synced',
      inSync: true,
      dryRun: false,
    });
    const after = await p.run('diff', '-f', 'app.yaml', ...p.kc, '--exit-code');
    expect(after.code).toBe(0);
  });

  it('sync prunes, and status, history and rollback round-trip through the local state', async () => {
    const p = project(uniqueName('cli-sync'));
    const first = p.commit({
      'app/cm.yaml': `${configMapYaml('settings', 'one')}---\n${configMapYaml('extra', 'x')}`,
    });
    const s1 = await p.run('sync', '-f', 'app.yaml', ...p.kc);
    expect(s1.code).toBe(0);
    expect(s1.stdout).toMatch(/^ConfigMap\s+\S+\s+extra\s+Created\s+Healthy/m);
    expect(s1.stderr).toContain('[apply]');

    const second = p.commit({ 'app/cm.yaml': configMapYaml('settings', 'two') });
    const s2 = await p.run('sync', '-f', 'app.yaml', ...p.kc, '-o', 'json');
    expect(ResultJson.parse(JSON.parse(s2.stdout)).counts).toMatchObject({
      Configured: 1,
      Pruned: 1,
    });
    await expect(
      kubectl(cluster('cluster-a'), 'get', 'configmap', 'extra', '-n', p.name),
    ).rejects.toThrow(/NotFound/);

    const status = JSON.parse((await p.run('status', p.name, '-o', 'json')).stdout) as {
      state: { syncedRevision: string; syncStatus: string };
    };
    expect(status.state).toMatchObject({ syncedRevision: second, syncStatus: 'Synced' });
    const table = (await p.run('status')).stdout;
    expect(table).toMatch(
      new RegExp(
        `^${p.name}\\s+default\\s+cluster-a\\s+Synced\\s+Healthy\\s+${second.slice(0, 7)}`,
        'm',
      ),
    );

    const history = JSON.parse((await p.run('history', p.name, '-o', 'json')).stdout) as {
      history: { seq: number; revision: string }[];
    };
    expect(history.history.map((h) => [h.seq, h.revision])).toEqual([
      [2, second],
      [1, first],
    ]);

    const back = await p.run('rollback', p.name, '-q');
    expect(back.code).toBe(0);
    expect(back.stdout).toContain(`at ${first.slice(0, 7)}`);
    expect(await configMapValue(cluster('cluster-a'), p.name, 'extra')).toBe('x');
    const after = JSON.parse((await p.run('history', p.name, '-o', 'json')).stdout) as {
      history: { seq: number; revision: string; trigger: { kind: string; rollbackOf?: number } }[];
    };
    expect(after.history[0]).toMatchObject({
      seq: 3,
      revision: first,
      trigger: { kind: 'rollback', rollbackOf: 1 },
    });
    const explicit = await p.run('rollback', p.name, second.slice(0, 8), '-q', '-o', 'json');
    expect(ResultJson.parse(JSON.parse(explicit.stdout)).revision).toBe(second);
  });

  it('diffs one destination of a rollout application; sync refuses a rollout', async () => {
    const p = project(uniqueName('cli-wave'));
    p.commit({ 'app/cm.yaml': configMapYaml('settings', 'one') });
    writeFileSync(
      join(p.dir, 'rollout.yaml'),
      `apiVersion: driftless.dev/v1alpha1
kind: Application
metadata: { name: ${p.name} }
spec:
  source: { repoURL: ${p.url}, targetRevision: main, path: app }
  destinations:
    - { cluster: cluster-a, namespace: ${p.name}, wave: 0 }
    - { cluster: cluster-b, namespace: ${p.name}-b, wave: 1 }
  syncPolicy: { automated: { prune: true }, syncOptions: [CreateNamespace=true] }
`,
    );
    const b = ['--kubeconfig', cluster('cluster-b').kubeconfig];
    const one = await p.run(
      'diff',
      '-f',
      'rollout.yaml',
      '--destination',
      'cluster-b',
      ...b,
      '-o',
      'json',
    );
    expect(one.code, one.stderr).toBe(0);
    const parsed = ResultJson.parse(JSON.parse(one.stdout));
    expect(parsed).toMatchObject({
      cluster: 'cluster-b',
      status: 'OutOfSync',
      counts: { Created: 1 },
    });
    expect(parsed.objects[0]?.ref).toMatchObject({ kind: 'ConfigMap', namespace: `${p.name}-b` });

    const unnamed = await p.run('diff', '-f', 'rollout.yaml', ...b);
    expect(unnamed.code).toBe(2);
    expect(unnamed.stderr).toMatch(
      /rolls out to several clusters \(cluster-a, cluster-b\): diff one of them with --destination CLUSTER/,
    );
    const unknown = await p.run('diff', '-f', 'rollout.yaml', '--destination', 'cluster-c', ...b);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(
      /has no destination on cluster "cluster-c" \(its destinations: cluster-a, cluster-b\)/,
    );
    const single = await p.run('diff', '-f', 'app.yaml', '--destination', 'cluster-b', ...p.kc);
    expect(single.code).toBe(2);
    expect(single.stderr).toMatch(/deploys to cluster "cluster-a" only/);
    const sync = await p.run('sync', '-f', 'rollout.yaml', ...b);
    expect(sync.code).toBe(2);
    expect(sync.stderr).toMatch(/sync works on single-destination applications/);
  });

  it('gives errors a person can act on, with documented exit codes', async () => {
    const p = project(uniqueName('cli-err'));
    p.commit({ 'app/cm.yaml': configMapYaml('settings', 'one') });

    const missing = await p.run('diff', '-f', 'nope.yaml', ...p.kc);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nope\.yaml: file not found/);

    writeFileSync(
      join(p.dir, 'bad.yaml'),
      'apiVersion: driftless.dev/v1alpha1\nkind: Application\nmetadata: { name: bad }\nspec:\n  source: { repoURL: not-a-url }\n  destination: { cluster: cluster-a }\n',
    );
    const bad = await p.run('diff', '-f', 'bad.yaml', ...p.kc);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/bad\.yaml: spec\.source\.repoURL: repoURL must be an http/);

    const flag = await p.run('sync', '-f', 'app.yaml', '--colour');
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/driftless sync: Unknown option '--colour'/);
    expect((await p.run('frobnicate')).code).toBe(2);

    const a = cluster('cluster-a');
    const offline = join(p.dir, 'offline.kubeconfig');
    writeTokenKubeconfig(offline, 'offline', 'https://127.0.0.1:1', a.caFile, 'x');
    const unreachable = await p.run('diff', '-f', 'app.yaml', '--kubeconfig', offline);
    expect(unreachable.code).toBe(3);
    expect(unreachable.stdout).toMatch(
      /cannot reach the Kubernetes API server at https:\/\/127\.0\.0\.1:1/,
    );

    const denied = await p.run(
      'sync',
      '-f',
      'app.yaml',
      '--kubeconfig',
      a.restrictedKubeconfig,
      '--no-state',
    );
    expect(denied.code).toBe(3);
    expect(denied.stdout).toMatch(/permission denied/);

    const noState = await driftless(['history', 'x'], { cwd: mkdtempSync(join(work, 'empty-')) });
    expect(noState.code).toBe(2);
    expect(noState.stderr).toMatch(/no state found/);
  });

  it('serve reconciles on start, applies a signed webhook within 2 seconds, and stops cleanly on Ctrl-C', async () => {
    const name = uniqueName('cli-serve');
    const url = git.createRepo(name);
    commitTree(git.repoPath(name), 'main', { 'app/cm.yaml': configMapYaml('settings', 'one') });
    const dir = join(work, name);
    mkdirSync(join(dir, 'config'), { recursive: true });
    writeFileSync(
      join(dir, 'config', 'cluster.yaml'),
      `apiVersion: driftless.dev/v1alpha1\nkind: Cluster\nmetadata: { name: cluster-a }\nspec:\n  kubeconfig: { file: ${cluster('cluster-a').kubeconfig} }\n`,
    );
    writeFileSync(
      join(dir, 'config', 'app.yaml'),
      `apiVersion: driftless.dev/v1alpha1\nkind: Application\nmetadata: { name: ${name} }\nspec:\n  source: { repoURL: ${url}, targetRevision: main, path: app }\n  destination: { cluster: cluster-a, namespace: ${name} }\n  syncPolicy:\n    automated: { prune: true }\n    syncOptions: [CreateNamespace=true]\n`,
    );
    const secret = 'local-secret';
    const serve = startDriftless(
      [
        'serve',
        '--config',
        'config',
        '--port',
        '0',
        '--interval',
        '1h',
        '--webhook-secret',
        secret,
      ],
      { cwd: dir },
    );
    try {
      const port = await servePort(serve);
      const value = () => configMapValue(cluster('cluster-a'), name, 'settings').catch(() => '');
      for (let i = 0; i < 100 && (await value()) !== 'one'; i++) await sleep(100);
      expect(await value()).toBe('one');
      expect(existsSync(join(dir, '.driftless', 'state', 'state.sock'))).toBe(true);

      const sha = commitTree(git.repoPath(name), 'main', {
        'app/cm.yaml': configMapYaml('settings', 'two'),
      });
      const push = githubPush({
        repoURL: url,
        after: sha,
        secret,
        deliveryId: randomUUID(),
        changed: ['app/cm.yaml'],
      });
      const started = Date.now();
      const response = await fetch(`http://127.0.0.1:${port}/webhooks/github`, {
        method: 'POST',
        headers: push.headers,
        body: push.body,
      });
      expect(response.status).toBe(202);
      // The scheduler's interval is an hour, so only the webhook can have
      // applied it, within the 2 seconds local mode promises.
      while ((await value()) !== 'two' && Date.now() - started < 15_000) await sleep(20);
      const elapsed = Date.now() - started;
      expect(await value()).toBe('two');
      console.log(`[cli] serve applied a webhook's commit ${elapsed} ms after the push`);
      expect(elapsed).toBeLessThan(2_000);

      const forged = await fetch(`http://127.0.0.1:${port}/webhooks/github`, {
        method: 'POST',
        headers: {
          'x-github-event': 'push',
          'x-github-delivery': randomUUID(),
          'x-hub-signature-256': 'sha256=00',
        },
        body: push.body,
      });
      expect(forged.status).toBe(401);

      const apps = (await (
        await fetch(`http://127.0.0.1:${port}/apps`, {
          headers: serveAuthorization(join(dir, '.driftless', 'state')),
        })
      ).json()) as {
        apps: { name: string; state: { syncedRevision: string } }[];
      };
      expect(apps.apps.find((a) => a.name === name)?.state.syncedRevision).toBe(sha);

      // While serve holds the state folder, other commands go through it.
      const status = await driftless(['status', name, '-o', 'json'], { cwd: dir });
      expect(status.code).toBe(0);
    } finally {
      serve.child.kill('SIGINT');
    }
    expect(await serve.exited).toBe(0);
    expect(serve.output()).toContain('[serve] stopped');
    expect(existsSync(join(dir, '.driftless', 'state', 'state.sock'))).toBe(false);
    expect(existsSync(join(dir, '.driftless', 'state', 'api-secret'))).toBe(false);
  });
});
