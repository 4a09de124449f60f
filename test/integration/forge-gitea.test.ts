import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cluster, uniqueName } from '../harness/context.ts';
import type { FileTree } from '../harness/git-fixtures.ts';
import { startGitea, type Gitea, type GiteaRepo, type GiteaUser } from '../harness/gitea.ts';
import { ensureCliBuilt, serveAuthorization, servePort, startDriftless } from '../helpers/cli.ts';
import { kubectl } from '../helpers/engine.ts';
import { toolPath } from '../harness/tools.ts';

const MARKER = '<!-- driftless-preview -->';
const SECRET = 'gitea-webhook-secret';

/** One replica; `stuck` can never be scheduled and misses its 3 s progress deadline. */
function deploymentYaml(replicas: number, stuck = false): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata: { name: web }
spec:
  replicas: ${replicas}
  progressDeadlineSeconds: 3
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
${stuck ? "      nodeSelector: { driftless.dev/no-such-node: 'true' }\n" : ''}      containers: [{ name: web, image: 'nginx:1' }]
`;
}

const configMap = (name: string, value: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: ${name} }\ndata: { value: '${value}' }\n`;
const secretYaml = (token: string) =>
  `apiVersion: v1\nkind: Secret\nmetadata: { name: web-token }\nstringData: { token: '${token}' }\n`;

/** The repository: web (a Deployment and a Secret), api (an overlay on a base), other. */
function tree(
  over: { replicas?: number; stuck?: boolean; token?: string; base?: string; other?: string } = {},
): FileTree {
  return {
    'web/deployment.yaml': deploymentYaml(over.replicas ?? 1, over.stuck),
    'web/secret.yaml': secretYaml(over.token ?? 'first-token-value'),
    'api/overlay/kustomization.yaml': 'resources: [../base]\n',
    'api/base/kustomization.yaml': 'resources: [settings.yaml]\n',
    'api/base/settings.yaml': configMap('api-settings', over.base ?? 'base-one'),
    'other/cm.yaml': configMap('other-settings', over.other ?? 'other-one'),
  };
}

const appYaml = (name: string, repoURL: string, path: string, namespace: string, extra = '') =>
  `apiVersion: driftless.dev/v1alpha1
kind: Application
metadata: { name: ${name} }
spec:
  source: { repoURL: ${repoURL}, targetRevision: main, path: ${path} }
  destination: { cluster: cluster-a, namespace: ${namespace} }
  syncPolicy:
    automated: { prune: true }
    syncOptions: [CreateNamespace=true]
  healthTimeout: 45s
${extra}`;

/** What the servers said, for a failure message. */
let context = () => '';

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${context()}`);
    await sleep(200);
  }
}

describe('forge feedback against a real Gitea 1.27 and driftless serve', () => {
  let gitea: Gitea;
  let team: GiteaUser;
  let repo: GiteaRepo;
  let work: string;
  let port: number | undefined;
  let serve: ReturnType<typeof startDriftless>;
  /** What `--notify` posted: each event's JSON. */
  const notified: { 'detail-type': string; detail: Record<string, unknown> }[] = [];
  let receiver: Server;
  const ns = {
    slow: uniqueName('fg-slow'),
    web: uniqueName('fg-web'),
    api: uniqueName('fg-api'),
    other: uniqueName('fg-other'),
  };
  let main: string;

  beforeAll(async () => {
    await ensureCliBuilt();
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        notified.push(JSON.parse(body) as (typeof notified)[number]);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((ok) => receiver.listen(0, '127.0.0.1', () => ok()));
    gitea = await startGitea();
    team = await gitea.createUser('team');
    repo = await gitea.createRepo(team.token, 'config', { autoInit: false });
    main = await gitea.pushFiles(team, repo, 'main', tree());
    work = mkdtempSync(join(tmpdir(), 'driftless-forge-'));
    const config = join(work, 'config');
    mkdirSync(config);
    writeFileSync(
      join(config, 'cluster.yaml'),
      `apiVersion: driftless.dev/v1alpha1\nkind: Cluster\nmetadata: { name: cluster-a }\nspec:\n  kubeconfig: { file: ${cluster('cluster-a').kubeconfig} }\n`,
    );
    const rollback = '  rollback: { bakeTime: 3s }\n';
    writeFileSync(join(config, 'web.yaml'), appYaml('web', repo.cloneURL, 'web', ns.web, rollback));
    writeFileSync(join(config, 'api.yaml'), appYaml('api', repo.cloneURL, 'api/overlay', ns.api));
    writeFileSync(join(config, 'other.yaml'), appYaml('other', repo.cloneURL, 'other', ns.other));
    const credentials = join(work, 'forges.json');
    writeFileSync(
      credentials,
      JSON.stringify({ [`${gitea.url}/`]: { type: 'gitea', token: team.token } }),
      {
        mode: 0o600,
      },
    );
    await startServe([]);
    context = () =>
      `\n--- driftless serve ---\n${serve.output().slice(-6_000)}\n--- gitea ---\n${gitea.logTail(40)}`;
    await gitea.createWebhook(team.token, repo.owner, repo.name, {
      url: `http://127.0.0.1:${port}/webhooks/gitea`,
      secret: SECRET,
      events: ['push', 'pull_request'],
    });
    // Every application synced and baked at the first commit.
    await until('the first sync', async () => {
      const statuses = await gitea.commitStatuses(repo.owner, repo.name, main);
      const done = ['web', 'api', 'other'].every((app) =>
        statuses.some((s) => s.context === `driftless/${app}` && s.status === 'success'),
      );
      return done ? true : undefined;
    });
  }, 240_000);

  /** `driftless serve` on the test's folder, on the same port when it restarts (the webhook points there). */
  async function startServe(extra: string[]) {
    const args = ['serve', '--config', 'config', '--port', String(port ?? 0), '--interval', '2s'];
    const events = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/events`;
    args.push('--webhook-secret', SECRET, '--forge-credentials', join(work, 'forges.json'));
    args.push('--notify', events, ...extra);
    // Local mode finds kustomize on PATH or here.
    serve = startDriftless(args, {
      cwd: work,
      env: { DRIFTLESS_KUSTOMIZE: toolPath('kustomize') },
    });
    port = await servePort(serve);
  }

  async function restartServe(extra: string[]) {
    serve.child.kill('SIGINT');
    await serve.exited;
    await startServe(extra);
  }

  afterAll(async () => {
    serve?.child.kill('SIGINT');
    await serve?.exited;
    await gitea?.stop();
    await new Promise((ok) => receiver?.close(ok));
    rmSync(work, { recursive: true, force: true });
  });

  /** The newest status of each context on a commit. */
  async function latest(
    sha: string,
  ): Promise<Map<string, { status: string; description: string }>> {
    const statuses = await gitea.commitStatuses(repo.owner, repo.name, sha);
    const newest = new Map<string, { status: string; description: string }>();
    for (const s of statuses) if (!newest.has(s.context)) newest.set(s.context, s);
    return newest;
  }

  it('a push to main shows pending, then success on that commit, within seconds of the sync', async () => {
    const pushed = Date.now();
    const sha = await gitea.pushFiles(team, repo, 'main', tree({ other: 'other-two' }));
    await until('driftless/other success', async () =>
      (await latest(sha)).get('driftless/other')?.status === 'success' ? true : undefined,
    );
    console.log(`[forge] success on ${sha.slice(0, 7)} ${Date.now() - pushed} ms after the push`);
    const all = await gitea.commitStatuses(repo.owner, repo.name, sha);
    const other = all.filter((s) => s.context === 'driftless/other').map((s) => s.status);
    // Newest first: success after pending.
    expect(other).toEqual(['success', 'pending']);
    const success = all.find((s) => s.context === 'driftless/other' && s.status === 'success')!;
    expect(success.description).toBe('Synced and Healthy');
    expect(success.target_url).toBe(`http://127.0.0.1:${port}/#/apps/other`);
    // web has a rollback policy: success only once its bake passed.
    const web = await until('web baked', async () => {
      const s = (await latest(sha)).get('driftless/web');
      return s?.status === 'success' ? s : undefined;
    });
    expect(web.description).toBe('Synced and Healthy');
    main = sha;
  });

  it('a commit that degrades and is rolled back shows failure with the reason', async () => {
    const bad = await gitea.pushFiles(
      team,
      repo,
      'main',
      tree({ other: 'other-two', stuck: true }),
    );
    const failed = await until(
      'failure on the bad commit',
      async () => {
        const s = (await latest(bad)).get('driftless/web');
        return s?.status === 'failure' ? s : undefined;
      },
      90_000,
    );
    expect(failed.description).toMatch(/^Rolled back to [0-9a-f]{7}: .*Degraded/);
    // --notify posted the event as EventBridge carries it.
    const rolled = notified.find((e) => e['detail-type'] === 'Rollback Performed');
    expect(rolled?.detail).toMatchObject({
      app: 'web',
      cluster: 'cluster-a',
      previousRevision: bad,
      message: expect.stringMatching(/^rolled back from [0-9a-f]{40}: health Degraded/),
    });
    // A fix moves the head past the hold, and syncs.
    main = await gitea.pushFiles(team, repo, 'main', tree({ other: 'other-two' }));
    await until(
      'the fix synced',
      async () =>
        (await latest(main)).get('driftless/web')?.status === 'success' ? true : undefined,
      90_000,
    );
  }, 200_000);

  /** resourceVersions of everything the three applications run, and what serve's state says of them. */
  async function snapshot() {
    const versions: Record<string, string> = {};
    for (const namespace of Object.values(ns)) {
      const out = await kubectl(
        cluster('cluster-a'),
        'get',
        'deployments,configmaps,secrets',
        '-n',
        namespace,
        '-o',
        'json',
      );
      for (const item of (
        JSON.parse(out) as {
          items: { kind: string; metadata: { name: string; resourceVersion: string } }[];
        }
      ).items)
        versions[`${namespace}/${item.kind}/${item.metadata.name}`] = item.metadata.resourceVersion;
    }
    const auth = serveAuthorization(join(work, '.driftless', 'state'));
    const apps: Record<string, unknown> = {};
    for (const app of ['web', 'api', 'other']) {
      const state = (await (
        await fetch(`http://127.0.0.1:${port}/apps/${app}`, { headers: auth })
      ).json()) as {
        state: { syncedRevision: string; status: string; health: string };
      };
      const history = (await (
        await fetch(`http://127.0.0.1:${port}/apps/${app}/history`, { headers: auth })
      ).json()) as {
        history: unknown[];
      };
      apps[app] = {
        revision: state.state.syncedRevision,
        status: state.state.status,
        history: history.history.length,
      };
    }
    return { versions, apps };
  }

  async function previewComments(number: number) {
    return (await gitea.pullRequestComments(repo.owner, repo.name, number)).filter((c) =>
      c.body.includes(MARKER),
    );
  }

  it('a pull request gets one preview comment listing exactly the apps it changes, updated on the next push, with nothing written', async () => {
    const before = await snapshot();
    const first = await gitea.pushFiles(
      team,
      repo,
      'change',
      tree({ other: 'other-two', replicas: 2, base: 'base-two', token: 'second-token-value' }),
      { from: 'main' },
    );
    const pr = await gitea.createPullRequest(team.token, repo.owner, repo.name, {
      head: 'change',
      base: 'main',
      title: 'Scale web, change the api base',
    });
    expect(pr.headSha).toBe(first);
    const comment = await until(
      'the preview comment',
      async () => (await previewComments(pr.number))[0],
    );
    const rows = comment.body.split('\n').filter((l) => /^\| (web|api|other) \|/.test(l));
    expect(rows).toHaveLength(2);
    expect(rows.find((r) => r.startsWith('| web |'))).toMatch(
      /\| web \| cluster-a \| 0 \| 2 \| 0 \| 0 \| configured Deployment/,
    );
    expect(rows.find((r) => r.startsWith('| api |'))).toMatch(
      /\| api \| cluster-a \| 0 \| 1 \| 0 \| 0 \|/,
    );
    expect(comment.body).toContain(`### Driftless preview of ${first.slice(0, 7)}`);
    expect(comment.body).toMatch(/-\s+replicas: 1\n\+\s+replicas: 2/);
    expect(comment.body).toContain('base-two');
    // The Secret's change shows as masks only.
    expect(comment.body).toContain(`Secret ${ns.web}/web-token`);
    expect(comment.body).not.toContain('first-token-value');
    expect(comment.body).not.toContain('second-token-value');
    expect(comment.body).not.toContain(Buffer.from('second-token-value').toString('base64'));
    expect(comment.body).toMatch(/<masked [0-9a-f]+>/);
    const status = await until('the preview status', async () => {
      const s = (await latest(first)).get('driftless/preview');
      return s && s.status !== 'pending' ? s : undefined;
    });
    expect(status.status).toBe('success');

    const second = await gitea.pushFiles(
      team,
      repo,
      'change',
      tree({ other: 'other-two', replicas: 3, base: 'base-two', token: 'second-token-value' }),
    );
    const updated = await until('the updated comment', async () => {
      const [c] = await previewComments(pr.number);
      return c?.body.includes(second.slice(0, 7)) ? c : undefined;
    });
    expect(updated.id).toBe(comment.id);
    expect(await previewComments(pr.number)).toHaveLength(1);
    expect(updated.body).toMatch(/\+\s+replicas: 3/);
    // Nothing the preview did reached the cluster or the state.
    await sleep(1_000);
    expect(await snapshot()).toEqual(before);
  }, 120_000);

  it('a pull request whose head links outside the repository gets a failed preview naming the link, and no file content', async () => {
    const head = await gitea.pushFiles(
      team,
      repo,
      'leak',
      { ...tree({ other: 'other-two' }), 'web/leak.yaml': { link: '/etc/passwd' } },
      { from: 'main' },
    );
    const pr = await gitea.createPullRequest(team.token, repo.owner, repo.name, {
      head: 'leak',
      base: 'main',
      title: 'Read the host',
    });
    const comment = await until(
      'the preview comment',
      async () => (await previewComments(pr.number))[0],
    );
    const row = comment.body.split('\n').find((l) => l.startsWith('| web |'));
    expect(row).toContain('the render would read outside the application');
    expect(row).toContain('link leak.yaml -&gt; /etc/passwd is refused');
    expect(comment.body).not.toContain('root:x:0:0');
    const status = await until('the preview status', async () => {
      const s = (await latest(head)).get('driftless/preview');
      return s && s.status !== 'pending' ? s : undefined;
    });
    expect(status.status).toBe('failure');
    expect(status.description).toMatch(/^1 of 1 would fail: web@cluster-a: /);
  });

  it("a fork's pull request gets no preview by default", async () => {
    const outsider = await gitea.createUser('outsider');
    const fork = await gitea.forkRepo(outsider.token, repo.owner, repo.name);
    const head = await gitea.pushFiles(
      outsider,
      fork,
      'evil',
      tree({ other: 'other-two', replicas: 9 }),
      {
        from: 'main',
      },
    );
    const pr = await gitea.createPullRequest(outsider.token, repo.owner, repo.name, {
      head: `${outsider.username}:evil`,
      base: 'main',
      title: 'From a fork',
    });
    await until('the fork delivery', async () =>
      serve.output().includes(`pull request #${pr.number} comes from a fork`) ? true : undefined,
    );
    await sleep(2_000);
    expect(await previewComments(pr.number)).toEqual([]);
    expect((await latest(head)).get('driftless/preview')).toBeUndefined();

    // With previews of forks on, the next push is previewed: the table, never a diff.
    await restartServe(['--preview-forks']);
    const next = await gitea.pushFiles(
      outsider,
      fork,
      'evil',
      tree({ other: 'other-two', replicas: 7 }),
    );
    const comment = await until(
      'the fork preview',
      async () => (await previewComments(pr.number))[0],
    );
    expect(comment.body).toContain(`### Driftless preview of ${next.slice(0, 7)}`);
    expect(comment.body).toMatch(
      /\| web \| cluster-a \| 0 \| 1 \| 0 \| 0 \| configured Deployment/,
    );
    expect(comment.body).not.toContain('<details>');
    expect(comment.body).not.toContain('replicas');
    expect(comment.body).toContain('not shown for pull requests from forks');
  });

  it('a status left pending by a slow rollout becomes success once the application is Healthy', async () => {
    // Its pod waits for a node label the test sets later: Progressing, not Degraded, until then.
    const label = `driftless.dev/${ns.slow}`;
    const waiting = `apiVersion: apps/v1
kind: Deployment
metadata: { name: slow }
spec:
  replicas: 1
  selector: { matchLabels: { app: slow } }
  template:
    metadata: { labels: { app: slow } }
    spec:
      nodeSelector: { ${label}: 'true' }
      containers: [{ name: slow, image: 'nginx:1' }]
`;
    const sha = await gitea.pushFiles(team, repo, 'main', {
      ...tree({ other: 'other-two' }),
      'slow/deployment.yaml': waiting,
    });
    writeFileSync(
      join(work, 'config', 'slow.yaml'),
      appYaml('slow', repo.cloneURL, 'slow', ns.slow).replace(
        'healthTimeout: 45s',
        'healthTimeout: 2s',
      ),
    );
    const pending = await until('pending while it rolls out', async () => {
      const s = (await latest(sha)).get('driftless/slow');
      return s?.status === 'pending' && s.description.startsWith('Synced; waiting for health')
        ? s
        : undefined;
    });
    expect(pending.description).toMatch(/^Synced; waiting for health/);
    const node = 'kwok-node-0';
    await kubectl(cluster('cluster-a'), 'label', 'node', node, `${label}=true`);
    try {
      await until('success once Healthy', async () =>
        (await latest(sha)).get('driftless/slow')?.status === 'success' ? true : undefined,
      );
    } finally {
      await kubectl(cluster('cluster-a'), 'label', 'node', node, `${label}-`);
    }
  }, 120_000);
});
