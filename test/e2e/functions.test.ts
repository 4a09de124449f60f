import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  ScheduledEvent,
  SQSBatchResponse,
  SQSEvent,
} from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createStateTable, type StateTable } from '../../shared/state/client.ts';
import { readApp } from '../../shared/state/head.ts';
import { listRegistry } from '../../shared/state/registry.ts';
import { cluster, uniqueName } from '../harness/context.ts';
import { localDynamoClient, LOCAL_AWS } from '../harness/dynamodb.ts';
import { commitTree } from '../harness/git-fixtures.ts';
import { startGitServer, type GitServer } from '../harness/git-server.ts';
import { configMapValue, kubectl } from '../helpers/engine.ts';
import { deliverQueue, lambdaContext } from '../helpers/lambda.ts';
import {
  loadFunctions,
  scheduledEvent,
  testQueue,
  type Handler,
} from '../helpers/lambda-functions.ts';
import { configMapYaml, githubPush as signedPush } from '../helpers/manifests.ts';

function application(name: string, repoURL: string, extra = ''): string {
  return `apiVersion: driftless.dev/v1alpha1
kind: Application
metadata:
  name: ${name}
spec:
  source: { repoURL: ${repoURL}, targetRevision: main, path: guestbook }
  destination: { cluster: cluster-a, namespace: ${name} }
  syncPolicy:
    automated: { prune: true, selfHeal: true }
    syncOptions: [CreateNamespace=true]
  healthTimeout: 20s
${extra}`;
}

describe('Lambda handlers end to end (real SQS API on moto, dynalite, git server, cluster-a)', () => {
  let git: GitServer;
  let sqs: SQSClient;
  let table: StateTable;
  let queueUrl: string;
  let cacheDir: string;
  let scheduler: Handler<ScheduledEvent, unknown>;
  let reconciler: Handler<SQSEvent, SQSBatchResponse>;
  let webhook: Handler<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>;
  const webhookSecret = 'webhook-secret-for-tests';
  const app = uniqueName('guestbook');
  let appRepo: string;
  let configRepo: string;

  beforeAll(async () => {
    const awsEndpoint = inject('awsEndpoint');
    const dynamo = inject('dynamo');
    git = await startGitServer();
    cacheDir = mkdtempSync(join(tmpdir(), 'driftless-e2e-'));
    sqs = new SQSClient({ ...LOCAL_AWS, endpoint: awsEndpoint });
    queueUrl = await testQueue(sqs, 'reconcile');
    table = createStateTable({
      tableName: dynamo.tableName,
      client: localDynamoClient(dynamo.endpoint),
    });

    appRepo = git.createRepo(`${app}-src`);
    configRepo = git.createRepo(`${app}-config`);
    commitTree(git.repoPath(`${app}-src`), 'main', {
      'guestbook/cm.yaml': configMapYaml('settings', 'one'),
    });
    const a = cluster('cluster-a');
    commitTree(git.repoPath(`${app}-config`), 'main', {
      'clusters/cluster-a.yaml': `apiVersion: driftless.dev/v1alpha1\nkind: Cluster\nmetadata: { name: cluster-a }\nspec:\n  kubeconfig: { file: ${a.kubeconfig} }\n`,
      [`apps/${app}.yaml`]: application(app, appRepo),
      'apps/broken.yaml': `${application(`${app}-broken`, appRepo)}  colour: blue\n`,
    });

    const secretsManager = new SecretsManagerClient({ ...LOCAL_AWS, endpoint: awsEndpoint });
    const secret = await secretsManager.send(
      new CreateSecretCommand({
        Name: uniqueName('webhooks'),
        SecretString: JSON.stringify({ github: webhookSecret }),
      }),
    );
    secretsManager.destroy();

    ({ scheduler, reconciler, webhook } = await loadFunctions({
      awsEndpoint,
      dynamo,
      queueUrl,
      configRepo,
      cacheDir,
      extra: { WEBHOOK_SECRETS_ARN: secret.ARN! },
    }));
  });

  afterAll(async () => {
    await git.stop();
    sqs.destroy();
    table.client.destroy();
    rmSync(cacheDir, { recursive: true, force: true });
  });

  async function queueDepth(): Promise<number> {
    const attrs = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    return (
      Number(attrs.Attributes?.ApproximateNumberOfMessages ?? 0) +
      Number(attrs.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
    );
  }

  it('scheduler registers the apps from the config repo, disables the broken one, and the reconciler syncs', async () => {
    const report = (await scheduler(scheduledEvent(), lambdaContext('scheduler'))) as {
      enqueued: string[];
      disabled: { name: string; error: string }[];
    };
    expect(report.enqueued).toEqual([app]);
    expect(report.disabled).toEqual([
      {
        name: `${app}-broken`,
        file: expect.stringContaining('broken.yaml'),
        error: expect.stringMatching(/colour/),
      },
    ]);
    const registry = await listRegistry(table);
    expect(registry.find((e) => e.name === `${app}-broken`)?.error).toMatch(
      /broken\.yaml.*colour/s,
    );

    const { delivered, failed } = await deliverQueue(sqs, queueUrl, reconciler);
    expect(delivered).toEqual([app]);
    expect(failed).toEqual([]);
    expect(await configMapValue(cluster('cluster-a'), app, 'settings')).toBe('one');
    expect((await readApp(table, app))?.state).toMatchObject({
      syncStatus: 'Synced',
      health: 'Healthy',
    });
    expect(await queueDepth()).toBe(0);
  });

  it('the scheduler repairs drift made with kubectl', async () => {
    await kubectl(
      cluster('cluster-a'),
      'patch',
      'configmap',
      'settings',
      '-n',
      app,
      '--type=merge',
      '-p',
      '{"data":{"value":"tampered"}}',
    );
    await scheduler(scheduledEvent(), lambdaContext('scheduler'));
    const { delivered } = await deliverQueue(sqs, queueUrl, reconciler);
    expect(delivered).toEqual([app]);
    expect(await configMapValue(cluster('cluster-a'), app, 'settings')).toBe('one');
    expect((await readApp(table, app))?.state?.lastResult).toMatchObject({
      outcome: 'succeeded',
      applied: 1,
    });
  });

  function githubPush(
    sha: string,
    deliveryId: string,
    secret = webhookSecret,
    changed = ['guestbook/cm.yaml'],
  ): APIGatewayProxyEventV2 {
    const { body, headers } = signedPush({
      repoURL: appRepo,
      after: sha,
      secret,
      deliveryId,
      changed,
    });
    return {
      version: '2.0',
      routeKey: 'POST /webhooks/{provider}',
      rawPath: '/webhooks/github',
      rawQueryString: '',
      headers,
      requestContext: {
        accountId: '123456789012',
        apiId: 'local',
        domainName: 'localhost',
        domainPrefix: 'localhost',
        http: {
          method: 'POST',
          path: '/webhooks/github',
          protocol: 'HTTP/1.1',
          sourceIp: '127.0.0.1',
          userAgent: 'GitHub-Hookshot/test',
        },
        requestId: randomUUID(),
        routeKey: 'POST /webhooks/{provider}',
        stage: '$default',
        time: new Date().toUTCString(),
        timeEpoch: Date.now(),
      },
      pathParameters: { provider: 'github' },
      body: Buffer.from(body).toString('base64'),
      isBase64Encoded: true,
    };
  }

  it('a signed GitHub push reaches the cluster through webhook → SQS → reconciler; forged and replayed deliveries change nothing', async () => {
    const sha = commitTree(git.repoPath(`${app}-src`), 'main', {
      'guestbook/cm.yaml': configMapYaml('settings', 'two'),
    });

    const forged = await webhook(
      githubPush(sha, randomUUID(), 'not-the-secret'),
      lambdaContext('webhook'),
    );
    expect(forged.statusCode).toBe(401);
    expect(await queueDepth()).toBe(0);

    const delivery = randomUUID();
    const accepted = await webhook(githubPush(sha, delivery), lambdaContext('webhook'));
    expect(accepted.statusCode).toBe(202);
    expect(JSON.parse(accepted.body!)).toMatchObject({ applications: [app] });
    const replayed = await webhook(githubPush(sha, delivery), lambdaContext('webhook'));
    expect(replayed.statusCode).toBe(200);
    expect(await queueDepth()).toBe(1);

    const unrelated = await webhook(
      githubPush(sha, randomUUID(), webhookSecret, ['docs/README.md']),
      lambdaContext('webhook'),
    );
    expect(unrelated.statusCode).toBe(202);
    expect(await queueDepth()).toBe(1);

    const { delivered } = await deliverQueue(sqs, queueUrl, reconciler);
    expect(delivered).toEqual([app]);
    expect(await configMapValue(cluster('cluster-a'), app, 'settings')).toBe('two');
    expect((await readApp(table, app))?.state).toMatchObject({
      syncedRevision: sha,
      syncStatus: 'Synced',
    });
  });
});
