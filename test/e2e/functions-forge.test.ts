import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  ScheduledEvent,
  SQSBatchResponse,
  SQSEvent,
} from 'aws-lambda';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { cluster, uniqueName } from '../harness/context.ts';
import { LOCAL_AWS } from '../harness/dynamodb.ts';
import { commitTree } from '../harness/git-fixtures.ts';
import { startGitServer, type GitServer } from '../harness/git-server.ts';
import { startGitea, type Gitea, type GiteaRepo, type GiteaUser } from '../harness/gitea.ts';
import { deliverQueue, lambdaContext } from '../helpers/lambda.ts';
import {
  loadFunctions,
  scheduledEvent,
  testQueue,
  type Handler,
} from '../helpers/lambda-functions.ts';
import { configMapYaml } from '../helpers/manifests.ts';

const WEBHOOK_SECRET = 'gitea-secret-for-lambda-tests';

/**
 * What API Gateway does for the webhook function: an HTTP request from Gitea
 * becomes an APIGatewayProxyEventV2 (body base64), the result an HTTP answer.
 */
function startBridge(
  webhook: Handler<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>,
): Promise<Server> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const headers = Object.fromEntries(
        Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : v]),
      );
      const event = {
        version: '2.0',
        routeKey: 'POST /webhooks/{provider}',
        rawPath: req.url ?? '/',
        rawQueryString: '',
        headers,
        body: Buffer.concat(chunks).toString('base64'),
        isBase64Encoded: true,
        requestContext: {} as APIGatewayProxyEventV2['requestContext'],
      } as APIGatewayProxyEventV2;
      void webhook(event, lambdaContext('webhook')).then((result) => {
        res.writeHead(result.statusCode ?? 200, { 'content-type': 'application/json' });
        res.end(result.body);
      });
    });
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok(server)));
}

describe('Lambda functions report to a real Gitea 1.27 (webhook → SQS on moto → reconciler)', () => {
  let gitea: Gitea;
  let team: GiteaUser;
  let repo: GiteaRepo;
  let git: GitServer;
  let sqs: SQSClient;
  let queueUrl: string;
  let cacheDir: string;
  let bridge: Server;
  let scheduler: Handler<ScheduledEvent, unknown>;
  let reconciler: Handler<SQSEvent, SQSBatchResponse>;
  const app = uniqueName('lf');
  let first: string;

  beforeAll(async () => {
    const awsEndpoint = inject('awsEndpoint');
    const dynamo = inject('dynamo');
    gitea = await startGitea();
    team = await gitea.createUser('team');
    repo = await gitea.createRepo(team.token, 'apps', { autoInit: false });
    first = await gitea.pushFiles(team, repo, 'main', {
      'web/cm.yaml': configMapYaml('settings', 'one'),
    });
    git = await startGitServer();
    const configRepo = git.createRepo(`${app}-config`);
    commitTree(git.repoPath(`${app}-config`), 'main', {
      'clusters/cluster-a.yaml': `apiVersion: driftless.dev/v1alpha1\nkind: Cluster\nmetadata: { name: cluster-a }\nspec:\n  kubeconfig: { file: ${cluster('cluster-a').kubeconfig} }\n`,
      [`apps/${app}.yaml`]: `apiVersion: driftless.dev/v1alpha1\nkind: Application\nmetadata: { name: ${app} }\nspec:\n  source: { repoURL: ${repo.cloneURL}, targetRevision: main, path: web }\n  destination: { cluster: cluster-a, namespace: ${app} }\n  syncPolicy:\n    automated: { prune: true }\n    syncOptions: [CreateNamespace=true]\n`,
    });
    sqs = new SQSClient({ ...LOCAL_AWS, endpoint: awsEndpoint });
    queueUrl = await testQueue(sqs, 'forge');
    const secretsManager = new SecretsManagerClient({ ...LOCAL_AWS, endpoint: awsEndpoint });
    const secret = async (name: string, value: unknown) =>
      (
        await secretsManager.send(
          new CreateSecretCommand({ Name: uniqueName(name), SecretString: JSON.stringify(value) }),
        )
      ).ARN!;
    const webhooks = await secret('webhooks', { gitea: WEBHOOK_SECRET });
    const forges = await secret('forges', {
      [`${gitea.url}/`]: { type: 'gitea', token: team.token },
    });
    secretsManager.destroy();
    cacheDir = mkdtempSync(join(tmpdir(), 'driftless-e2e-forge-'));
    const handlers = await loadFunctions({
      awsEndpoint,
      dynamo,
      queueUrl,
      configRepo,
      cacheDir,
      extra: {
        WEBHOOK_SECRETS_ARN: webhooks,
        DRIFTLESS_FORGE_CREDENTIALS_SECRET_ARN: forges,
        DRIFTLESS_APP_URL: 'https://driftless.example/#/apps/{app}',
        DRIFTLESS_PREVIEWS: 'true',
      },
    });
    ({ scheduler, reconciler } = handlers);
    const webhook = handlers.webhook;
    bridge = await startBridge(webhook);
    const port = (bridge.address() as AddressInfo).port;
    await gitea.createWebhook(team.token, repo.owner, repo.name, {
      url: `http://127.0.0.1:${port}/webhooks/gitea`,
      secret: WEBHOOK_SECRET,
      events: ['push', 'pull_request'],
    });
  }, 120_000);

  afterAll(async () => {
    await new Promise((ok) => bridge?.close(ok));
    await git?.stop();
    await gitea?.stop();
    sqs?.destroy();
    rmSync(cacheDir, { recursive: true, force: true });
  });

  /** Runs the reconciler on what the queue holds until `done` says so. */
  async function reconcileUntil(what: string, done: () => Promise<boolean>): Promise<void> {
    for (let i = 0; i < 40; i++) {
      await deliverQueue(sqs, queueUrl, reconciler, { waitSeconds: 1 });
      if (await done()) return;
      await sleep(250);
    }
    throw new Error(`the reconciler never got to: ${what}\n${gitea.logTail(20)}`);
  }

  const statusOf = async (sha: string, context: string) =>
    (await gitea.commitStatuses(repo.owner, repo.name, sha)).find((s) => s.context === context);

  it('a scheduled sync posts success with the configured link; a pull request gets its preview', async () => {
    await scheduler(scheduledEvent(), lambdaContext('scheduler'));
    await reconcileUntil('success on the first commit', async () => {
      return (await statusOf(first, `driftless/${app}`))?.status === 'success';
    });
    const success = (await statusOf(first, `driftless/${app}`))!;
    expect(success.description).toBe('Synced and Healthy');
    expect(success.target_url).toBe(`https://driftless.example/#/apps/${app}`);
    const history = (await gitea.commitStatuses(repo.owner, repo.name, first))
      .filter((s) => s.context === `driftless/${app}`)
      .map((s) => s.status);
    expect(history).toEqual(['success', 'pending']);

    const head = await gitea.pushFiles(
      team,
      repo,
      'change',
      { 'web/cm.yaml': configMapYaml('settings', 'two') },
      { from: 'main' },
    );
    const pr = await gitea.createPullRequest(team.token, repo.owner, repo.name, {
      head: 'change',
      base: 'main',
      title: 'Change the settings',
    });
    await reconcileUntil('the preview', async () => {
      const s = await statusOf(head, 'driftless/preview');
      return s !== undefined && s.status !== 'pending';
    });
    expect((await statusOf(head, 'driftless/preview'))?.status).toBe('success');
    const [comment] = (await gitea.pullRequestComments(repo.owner, repo.name, pr.number)).filter(
      (c) => c.body.includes('<!-- driftless-preview -->'),
    );
    expect(comment?.body).toContain(`| ${app} | cluster-a | 0 | 1 | 0 | 0 |`);
    expect(comment?.body).toMatch(/-\s+value: one\n\+\s+value: two/);
  });
});
