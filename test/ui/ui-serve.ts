import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { inject } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cluster, uniqueName } from '../harness/context.ts';
import { commitTree } from '../harness/git-fixtures.ts';
import { startGitServer } from '../harness/git-server.ts';
import { waitUntil } from '../harness/net.ts';
import { ensureCliBuilt, serveAuthorization, servePort, startDriftless } from '../helpers/cli.ts';
import { LOCAL_AWS } from '../harness/dynamodb.ts';
import { createAlarm } from '../helpers/alarms.ts';
import { configMapYaml } from '../helpers/manifests.ts';

/** The demo's application: a Deployment of `replicas`, its Service, a ConfigMap and a Secret. */
export function guestbook(
  replicas: number,
  message: string,
  secret: string,
): Record<string, string> {
  return {
    'guestbook/deployment.yaml': `apiVersion: apps/v1
kind: Deployment
metadata: { name: guestbook }
spec:
  replicas: ${replicas}
  selector: { matchLabels: { app: guestbook } }
  template:
    metadata: { labels: { app: guestbook } }
    spec:
      containers: [{ name: web, image: "registry.k8s.io/e2e-test-images/agnhost:2.53" }]
`,
    'guestbook/service.yaml':
      'apiVersion: v1\nkind: Service\nmetadata: { name: guestbook }\nspec:\n  selector: { app: guestbook }\n  ports: [{ port: 80, targetPort: 8080 }]\n',
    'guestbook/config.yaml': configMapYaml('guestbook', message),
    'guestbook/secret.yaml': `apiVersion: v1\nkind: Secret\nmetadata: { name: guestbook }\nstringData:\n  password: ${secret}\n`,
  };
}

export interface UiServe {
  port: number;
  base: string;
  /** The one-time login link serve printed. */
  loginUrl: string;
  /** The single-destination application (on cluster-a, namespace of its own name). */
  app: string;
  /** The rollout application: wave 0 on cluster-a, wave 1 on cluster-b (whose bake watches `alarm`). */
  rollout: string;
  /** A CloudWatch alarm (on the harness's moto), in state OK. */
  alarm: string;
  /** The Secret's value in the application's repository. */
  secret: string;
  repoPath: string;
  first: string;
  output(): string;
  /** A GET of the API with the run's secret, as the CLI would send it. */
  api(path: string): Promise<{ status: number; text: string }>;
  /** Waits until the application shows `revision` synced and healthy. */
  synced(app: string, revision: string): Promise<void>;
  stop(): Promise<void>;
}

function clusterFile(name: string, kubeconfig: string): string {
  return `apiVersion: driftless.dev/v1alpha1\nkind: Cluster\nmetadata: { name: ${name} }\nspec:\n  kubeconfig: { file: ${kubeconfig} }\n`;
}

/**
 * `driftless serve` (the built bundle, UI included) on the harness's two
 * clusters: a guestbook application synced automatically without selfHeal
 * (a drift stays until someone syncs), and a two-wave rollout application.
 * The schedule runs every 3 s, so drift and pushes show within seconds.
 */
export async function startUiServe(prefix: string): Promise<UiServe> {
  await ensureCliBuilt();
  const git = await startGitServer();
  const app = uniqueName(prefix);
  const rollout = `${app}-rollout`;
  const alarm = `${app}-errors`;
  const cloudwatch = new CloudWatchClient({ ...LOCAL_AWS, endpoint: inject('awsEndpoint') });
  await createAlarm(cloudwatch, alarm);
  cloudwatch.destroy();
  const secret = `UISECRET${Math.random().toString(36).slice(2, 10)}`;
  const url = git.createRepo(app);
  const first = commitTree(git.repoPath(app), 'main', {
    ...guestbook(2, 'hello from v1', secret),
    'rollout/cm.yaml': configMapYaml('settings', 'one'),
  });
  const dir = mkdtempSync(join(tmpdir(), 'driftless-ui-'));
  const config = join(dir, 'config');
  mkdirSync(config);
  writeFileSync(join(config, 'a.yaml'), clusterFile('cluster-a', cluster('cluster-a').kubeconfig));
  writeFileSync(join(config, 'b.yaml'), clusterFile('cluster-b', cluster('cluster-b').kubeconfig));
  writeFileSync(
    join(config, 'app.yaml'),
    `apiVersion: driftless.dev/v1alpha1\nkind: Application\nmetadata: { name: ${app} }\nspec:\n  source: { repoURL: ${url}, targetRevision: main, path: guestbook }\n  destination: { cluster: cluster-a, namespace: ${app} }\n  syncPolicy:\n    automated: { prune: true, selfHeal: false }\n    syncOptions: [CreateNamespace=true]\n`,
  );
  writeFileSync(
    join(config, 'rollout.yaml'),
    `apiVersion: driftless.dev/v1alpha1\nkind: Application\nmetadata: { name: ${rollout} }\nspec:\n  source: { repoURL: ${url}, targetRevision: main, path: rollout }\n  destinations:\n    - { cluster: cluster-a, namespace: ${rollout}, wave: 0 }\n    - { cluster: cluster-b, namespace: ${rollout}, wave: 1, alarms: [${alarm}] }\n  rollback: { bakeTime: 2s }\n  syncPolicy:\n    automated: { prune: true }\n    syncOptions: [CreateNamespace=true]\n`,
  );
  // Serve reads CloudWatch alarms where a region is set: the harness's moto, here.
  const serve = startDriftless(['serve', '--config', 'config', '--port', '0', '--interval', '3s'], {
    cwd: dir,
    env: {
      AWS_REGION: LOCAL_AWS.region,
      AWS_ACCESS_KEY_ID: LOCAL_AWS.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_AWS.credentials.secretAccessKey,
      AWS_ENDPOINT_URL_CLOUDWATCH: inject('awsEndpoint'),
    },
  });
  const stateDir = join(dir, '.driftless', 'state');
  const port = await servePort(serve);
  const base = `http://127.0.0.1:${port}`;
  const printedLink = () => /web UI: (http:\/\/\S+)/.exec(serve.output())?.[1];
  await waitUntil('serve to print the login link', async () => Boolean(printedLink()), {
    timeoutMs: 5_000,
    intervalMs: 20,
  });
  const loginUrl = printedLink()!;
  const api = async (path: string) => {
    const response = await fetch(`${base}${path}`, { headers: serveAuthorization(stateDir) });
    return { status: response.status, text: await response.text() };
  };
  const synced = (name: string, revision: string) =>
    waitUntil(
      `${name} synced at ${revision.slice(0, 7)} and healthy`,
      async () => {
        const { text } = await api(`/apps/${name}`);
        const body = JSON.parse(text) as {
          state?: { syncedRevision?: string; health?: string; syncStatus?: string };
        };
        return (
          body.state?.syncedRevision === revision &&
          body.state.health === 'Healthy' &&
          body.state.syncStatus === 'Synced'
        );
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
  return {
    port,
    base,
    loginUrl,
    app,
    rollout,
    alarm,
    secret,
    repoPath: git.repoPath(app),
    first,
    output: serve.output,
    api,
    synced,
    stop: async () => {
      serve.child.kill('SIGINT');
      await serve.exited;
      await git.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
