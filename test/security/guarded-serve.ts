import { paginateScan, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'vitest';
import { openState, type OpenState } from '../../cli/state-store.ts';
import { cluster, uniqueName } from '../harness/context.ts';
import { commitTree } from '../harness/git-fixtures.ts';
import { startGitServer } from '../harness/git-server.ts';
import { waitUntil } from '../harness/net.ts';
import { ensureCliBuilt, serveAuthorization, servePort, startDriftless } from '../helpers/cli.ts';
import { configMapValue } from '../helpers/engine.ts';
import { configMapYaml, githubPush } from '../helpers/manifests.ts';

/** What a refused request must not have moved: every state item, the live ConfigMap, serve's reconcile log. */
interface Snapshot {
  items: Record<string, AttributeValue>[];
  configMap: string;
  reconciles: number;
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface GuardedServe {
  port: number;
  /** The application serve manages; its repository holds a commit serve has not applied. */
  app: string;
  stateDir: string;
  pid: number;
  authorization: { authorization: string };
  output(): string;
  /** Serve's log lines that refused a request. */
  refusals(): string[];
  /** A request to serve exactly as given: no Host, Origin or other header is added. */
  raw(options: {
    method: string;
    path: string;
    headers?: Record<string, string>;
    body?: string;
  }): Promise<RawResponse>;
  /** The GitHub push for the unapplied commit, signed with serve's webhook secret. */
  signedPush(): { body: string; headers: Record<string, string> };
  /** Fails the test if any state item, the ConfigMap or serve's reconcile count differs from the start. */
  expectUnchanged(): Promise<void>;
  /** Requests a sync with the secret and waits for the unapplied commit to be live: the checks above see a change. */
  syncWithSecret(): Promise<number>;
  stop(): Promise<void>;
}

const WEBHOOK_SECRET = 'security-webhook-secret';

/**
 * `driftless serve` (the built bundle) on the harness's cluster-a with one
 * application, synced at its first commit, with a second commit pushed but not
 * applied (the scheduler's interval is an hour). Anything that got through to
 * the API or the webhook endpoint would apply it, record history or log a
 * reconcile.
 */
export async function startGuardedServe(prefix: string): Promise<GuardedServe> {
  await ensureCliBuilt();
  const git = await startGitServer();
  const app = uniqueName(prefix);
  const url = git.createRepo(app);
  commitTree(git.repoPath(app), 'main', { 'app/cm.yaml': configMapYaml('settings', 'one') });
  const dir = mkdtempSync(join(tmpdir(), 'driftless-security-'));
  mkdirSync(join(dir, 'config'));
  writeFileSync(
    join(dir, 'config', 'cluster.yaml'),
    `apiVersion: driftless.dev/v1alpha1\nkind: Cluster\nmetadata: { name: cluster-a }\nspec:\n  kubeconfig: { file: ${cluster('cluster-a').kubeconfig} }\n`,
  );
  writeFileSync(
    join(dir, 'config', 'app.yaml'),
    `apiVersion: driftless.dev/v1alpha1\nkind: Application\nmetadata: { name: ${app} }\nspec:\n  source: { repoURL: ${url}, targetRevision: main, path: app }\n  destination: { cluster: cluster-a, namespace: ${app} }\n  syncPolicy:\n    automated: { prune: true }\n    syncOptions: [CreateNamespace=true]\n`,
  );
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
      WEBHOOK_SECRET,
    ],
    { cwd: dir },
  );
  const stateDir = join(dir, '.driftless', 'state');
  const port = await servePort(serve);
  const configMap = () => configMapValue(cluster('cluster-a'), app, 'settings').catch(() => '');
  await waitUntil('the first sync', async () => serve.output().includes(`] ${app}: Synced`), {
    timeoutMs: 30_000,
  });
  const pending = commitTree(git.repoPath(app), 'main', {
    'app/cm.yaml': configMapYaml('settings', 'two'),
  });
  const state = (await openState({ state: stateDir }, { create: false })) as OpenState;

  const snapshot = async (): Promise<Snapshot> => {
    const items: Record<string, AttributeValue>[] = [];
    for await (const page of paginateScan(
      { client: state.table.client },
      { TableName: state.table.tableName, ConsistentRead: true },
    ))
      items.push(...(page.Items ?? []));
    items.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    return {
      items,
      configMap: await configMap(),
      reconciles: serve.output().match(/\[(reconcile|rollout)\]/g)?.length ?? 0,
    };
  };
  // The first sync's last writes (history, lease release) may trail its log line.
  let baseline = await snapshot();
  await waitUntil(
    'the state to settle after the first sync',
    async () => {
      await sleep(200);
      const next = await snapshot();
      const settled = JSON.stringify(next) === JSON.stringify(baseline);
      baseline = next;
      return settled;
    },
    { timeoutMs: 10_000, intervalMs: 0 },
  );
  expect(baseline.configMap).toBe('one');

  return {
    port,
    app,
    stateDir,
    pid: serve.child.pid!,
    authorization: serveAuthorization(stateDir),
    output: serve.output,
    refusals: () => serve.output().match(/^.*\[serve\] refused .*$/gm) ?? [],
    raw: ({ method, path, headers = {}, body }) =>
      new Promise((resolve, reject) => {
        const req = request(
          { host: '127.0.0.1', port, method, path, headers, setHost: false, agent: false },
          (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (d: string) => (text += d));
            res.on('end', () =>
              resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }),
            );
          },
        );
        req.setTimeout(5_000, () => req.destroy(new Error(`${method} ${path}: no answer in 5 s`)));
        req.on('error', reject);
        req.end(body);
      }),
    signedPush: () =>
      githubPush({
        repoURL: url,
        after: pending,
        secret: WEBHOOK_SECRET,
        deliveryId: randomUUID(),
        changed: ['app/cm.yaml'],
      }),
    expectUnchanged: async () => expect(await snapshot()).toEqual(baseline),
    syncWithSecret: async () => {
      const started = Date.now();
      const response = await fetch(`http://127.0.0.1:${port}/apps/${app}/sync`, {
        method: 'POST',
        headers: serveAuthorization(stateDir),
      });
      expect(response.status).toBe(202);
      await waitUntil(
        'the sync requested with the secret',
        async () => (await configMap()) === 'two',
        {
          timeoutMs: 20_000,
          intervalMs: 20,
        },
      );
      return Date.now() - started;
    },
    stop: async () => {
      await state.close();
      serve.child.kill('SIGINT');
      await serve.exited;
      await git.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
