import { execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { serveSecretFile } from '../cli/serve-secret.ts';
import { startControlPlane } from '../test/harness/control-plane.ts';
import { commitTree } from '../test/harness/git-fixtures.ts';
import { startGitServer } from '../test/harness/git-server.ts';
import { repoRoot, toolPath } from '../test/harness/tools.ts';
import { githubPush } from '../test/helpers/manifests.ts';

// The quickstart's main act: a real API server, a Git server, and
// `driftless serve` between them, walked through first sync, a pushed change
// arriving by webhook, drift repair and a rollback.

const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const step = (n: number, text: string) => console.log(`\n${bold(`== ${n}. ${text}`)}`);
const node = join(repoRoot, 'node_modules', '.bin', 'node');
const cli = join(repoRoot, 'dist', 'cli', 'driftless.mjs');

function manifests(replicas: number, message: string): Record<string, string> {
  return {
    'apps/guestbook/deployment.yaml': `apiVersion: apps/v1
kind: Deployment
metadata: { name: guestbook }
spec:
  replicas: ${replicas}
  selector: { matchLabels: { app: guestbook } }
  template:
    metadata: { labels: { app: guestbook } }
    spec:
      containers: [{ name: web, image: "registry.k8s.io/e2e-test-images/agnhost:2.53", ports: [{ containerPort: 8080 }] }]
`,
    'apps/guestbook/service.yaml':
      'apiVersion: v1\nkind: Service\nmetadata: { name: guestbook }\nspec:\n  selector: { app: guestbook }\n  ports: [{ port: 80, targetPort: 8080 }]\n',
    'apps/guestbook/config.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: guestbook }\ndata:\n  message: "${message}"\n`,
  };
}

console.log(bold('Driftless demo: local cluster + Git server + driftless serve'));
// The CLI with its web UI (scripts/build.ts builds both for --only=cli).
await promisify(execFile)(node, [join(repoRoot, 'scripts', 'build.ts'), '--only=cli']);
const work = mkdtempSync(join(tmpdir(), 'driftless-demo-'));
const controlPlane = await startControlPlane({
  clusterNames: ['demo'],
  log: (m) => console.log(`  [cluster] ${m}`),
});
const git = await startGitServer();
const cluster = controlPlane.clusters[0]!;
const kubectl = async (...args: string[]) =>
  (
    await promisify(execFile)(toolPath('kubectl'), [
      '--kubeconfig',
      cluster.kubeconfig,
      '-n',
      'guestbook',
      ...args,
    ])
  ).stdout;
const driftless = async (...args: string[]) =>
  (
    await promisify(execFile)(node, [cli, ...args], {
      cwd: work,
      env: { ...process.env, NO_COLOR: '1' },
    })
  ).stdout;

let serve: ReturnType<typeof spawn> | undefined;
try {
  const url = git.createRepo('guestbook');
  const first = commitTree(
    git.repoPath('guestbook'),
    'main',
    manifests(2, 'hello from v1'),
    'guestbook v1',
  );
  console.log(
    `  [git] ${url} at ${first.slice(0, 7)} (apps/guestbook: Deployment, Service, ConfigMap)`,
  );
  mkdirSync(join(work, 'config'));
  writeFileSync(
    join(work, 'config', 'cluster.yaml'),
    `apiVersion: driftless.dev/v1alpha1\nkind: Cluster\nmetadata: { name: demo }\nspec:\n  kubeconfig: { file: ${cluster.kubeconfig} }\n`,
  );
  writeFileSync(
    join(work, 'config', 'guestbook.yaml'),
    `apiVersion: driftless.dev/v1alpha1\nkind: Application\nmetadata: { name: guestbook }\nspec:\n  source: { repoURL: ${url}, targetRevision: main, path: apps/guestbook }\n  destination: { cluster: demo, namespace: guestbook }\n  syncPolicy:\n    automated: { prune: true, selfHeal: true }\n    syncOptions: [CreateNamespace=true]\n`,
  );
  console.log(`  [config] ${join(work, 'config')}`);

  serve = spawn(
    node,
    [
      cli,
      'serve',
      '--config',
      'config',
      '--port',
      '0',
      '--interval',
      '10s',
      '--webhook-secret',
      'demo-secret',
    ],
    { cwd: work, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let port = '';
  let uiLink = '';
  serve.stdout!.on('data', (d: Buffer) => {
    for (const line of d.toString().trimEnd().split('\n')) {
      console.log(`  [serve] ${line.replace(/^\S+ /, '')}`);
      port ||= /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(line)?.[1] ?? '';
      uiLink ||= /web UI: (http:\/\/\S+)/.exec(line)?.[1] ?? '';
    }
  });
  // The per-run secret serve writes into its state folder before it listens.
  const apiSecret = (): string =>
    readFileSync(serveSecretFile(join(work, '.driftless/state')), 'utf8').trim();
  const synced = async (revision: string, what: string): Promise<number> => {
    const started = Date.now();
    for (;;) {
      const body = port
        ? ((await (
            await fetch(`http://127.0.0.1:${port}/apps/guestbook`, {
              headers: { authorization: `Bearer ${apiSecret()}` },
            }).catch(() => undefined)
          )
            ?.json()
            .catch(() => undefined)) as
            { state?: { syncedRevision?: string; health?: string } } | undefined)
        : undefined;
      if (body?.state?.syncedRevision === revision && body.state.health === 'Healthy')
        return Date.now() - started;
      if (Date.now() - started > 60_000) throw new Error(`timed out waiting for ${what}`);
      await sleep(100);
    }
  };

  step(1, 'First sync: serve finds the application and applies it');
  await synced(first, 'the first sync');
  console.log(
    await kubectl(
      'get',
      'deployment,service,configmap',
      '-l',
      'app.kubernetes.io/managed-by=driftless',
    ),
  );

  step(2, 'A pushed change arrives through a signed GitHub webhook');
  const second = commitTree(
    git.repoPath('guestbook'),
    'main',
    manifests(3, 'hello from v2'),
    'guestbook v2: 3 replicas',
  );
  const push = githubPush({
    repoURL: url,
    after: second,
    secret: 'demo-secret',
    deliveryId: randomUUID(),
    changed: ['apps/guestbook/deployment.yaml', 'apps/guestbook/config.yaml'],
  });
  const response = await fetch(`http://127.0.0.1:${port}/webhooks/github`, {
    method: 'POST',
    headers: push.headers,
    body: push.body,
  });
  console.log(`  webhook answered ${response.status}: ${JSON.stringify(await response.json())}`);
  const pushMs = await synced(second, 'the pushed change');
  console.log(`  ${second.slice(0, 7)} applied and healthy ${pushMs} ms after the webhook`);
  console.log(await kubectl('get', 'deployment', 'guestbook'));

  step(3, 'Someone edits the cluster by hand: kubectl scale --replicas=1');
  await kubectl('scale', 'deployment/guestbook', '--replicas=1');
  console.log(await kubectl('get', 'deployment', 'guestbook'));
  console.log('  waiting for the next scheduled reconcile (every 10 s) to repair it...');
  const started = Date.now();
  while (
    (await kubectl('get', 'deployment', 'guestbook', '-o', 'jsonpath={.spec.replicas}')) !== '3'
  )
    await sleep(200);
  console.log(`  repaired after ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log(await kubectl('get', 'deployment', 'guestbook'));

  step(4, 'Rollback to the previous revision: driftless rollback guestbook');
  console.log((await driftless('rollback', 'guestbook', '-q')).trimEnd());
  console.log(
    `  ConfigMap message is now: ${await kubectl('get', 'configmap', 'guestbook', '-o', 'jsonpath={.data.message}')}`,
  );
  console.log(`\n${(await driftless('history', 'guestbook')).trimEnd()}`);
  console.log(`\n${(await driftless('status')).trimEnd()}`);
  // On a terminal the demo stays up for the web UI; piped (CI, a log), it ends here.
  if (process.stdout.isTTY) {
    console.log(bold(`\nThe web UI: ${uiLink} (a one-time sign-in link; Ctrl-C stops everything)`));
    await new Promise((resolve) => process.once('SIGINT', resolve));
    // The terminal's Ctrl-C reached serve too: let it stop on its own first.
    const exited = new Promise((resolve) => serve!.once('exit', resolve));
    if (serve.exitCode === null) await Promise.race([exited, sleep(10_000)]);
  } else console.log(`\nThe web UI was at ${uiLink || 'no address (not built)'}.`);
  console.log(bold('\nDone. Everything started for the demo is stopped and removed.'));
} finally {
  if (serve && serve.exitCode === null) {
    serve.kill('SIGINT');
    await new Promise((resolve) => serve!.once('exit', resolve));
  }
  await git.stop();
  await controlPlane.stop();
  rmSync(work, { recursive: true, force: true });
}
