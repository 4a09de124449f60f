import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Application } from '../../shared/config/application.ts';
import { Cluster } from '../../shared/config/cluster.ts';
import { LocalReconcileQueue } from '../../shared/queue/local-queue.ts';
import type { QueueMessageInput } from '../../shared/queue/message.ts';
import { BUSY_BUDGET_MS, requeueLater, retryDelaySeconds } from '../../shared/queue/sqs-retry.ts';
import { createStateTable, type StateTable } from '../../shared/state/client.ts';
import { ensureTable } from '../../shared/state/ensure-table.ts';
import { readApp } from '../../shared/state/head.ts';
import { acquireLease } from '../../shared/state/lease.ts';
import { putRegistryEntry } from '../../shared/state/registry.ts';
import { cluster, uniqueName } from '../harness/context.ts';
import { LOCAL_AWS, localDynamoClient } from '../harness/dynamodb.ts';
import { commitTree } from '../harness/git-fixtures.ts';
import { startGitServer, type GitServer } from '../harness/git-server.ts';
import { configMapValue, kubectl } from '../helpers/engine.ts';
import { deliverQueue, lambdaContext } from '../helpers/lambda.ts';
import { configMapYaml } from '../helpers/manifests.ts';

type Reconciler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

describe('retry delays', () => {
  it('a busy retry waits the hint in whole seconds, at least 1, with up to a fifth of jitter, at most 900 s', () => {
    const none = () => 0;
    const most = () => 0.999;
    expect(retryDelaySeconds(4_200, none)).toBe(5);
    expect(retryDelaySeconds(4_200, most)).toBe(6);
    expect(retryDelaySeconds(0, none)).toBe(1);
    expect(retryDelaySeconds(15_000, none)).toBe(15);
    expect(retryDelaySeconds(2_000_000, most)).toBe(900);
  });

  it('a request put back for a busy lease carries when it first met it, and stops being put back after the budget', async () => {
    const sent: { message: { busySince?: number }; delaySeconds?: number }[] = [];
    const queue = {
      send: async (m: { message: QueueMessageInput; delaySeconds?: number }[]) =>
        void sent.push(...(m as typeof sent)),
    };
    const body = JSON.stringify({ app: 'a', trigger: { kind: 'schedule' }, enqueuedAt: 1 });
    expect(await requeueLater(queue, body, 3_000, 10_000)).toBeGreaterThanOrEqual(3);
    expect(sent[0]!.message.busySince).toBe(10_000);
    const again = JSON.stringify(sent[0]!.message);
    await requeueLater(queue, again, 3_000, 20_000);
    expect(sent[1]!.message.busySince).toBe(10_000);
    expect(await requeueLater(queue, again, 3_000, 10_000 + BUSY_BUDGET_MS + 1)).toBeUndefined();
    expect(await requeueLater(queue, '{not json', 3_000)).toBeUndefined();
    expect(sent).toHaveLength(2);
  });

  it('local mode: a retry with a hint comes back after the hint, not the fixed retry delay', async () => {
    const seen: number[] = [];
    const queue = new LocalReconcileQueue({
      workers: 1,
      retryDelayMs: 60_000,
      process: async () => {
        seen.push(Date.now());
        return seen.length === 1 ? { kind: 'retry', retryAfterMs: 300 } : 'done';
      },
    });
    await queue.send([
      {
        message: { app: 'local-busy', trigger: { kind: 'manual' }, enqueuedAt: Date.now() },
      },
    ]);
    const deadline = Date.now() + 5_000;
    while (seen.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await queue.stop();
    expect(seen).toHaveLength(2);
    const waited = seen[1]! - seen[0]!;
    expect(waited).toBeGreaterThanOrEqual(290);
    expect(waited).toBeLessThan(2_000);
  });
});

describe('reconciler Lambda: busy and deadline retries (real SQS API on moto, dynalite, cluster-a)', () => {
  let git: GitServer;
  let sqs: SQSClient;
  let table: StateTable;
  let queueUrl: string;
  let cacheDir: string;
  let reconciler: Reconciler;
  const loopDelay = monitorEventLoopDelay({ resolution: 20 });

  beforeAll(async () => {
    const awsEndpoint = inject('awsEndpoint');
    const dynamo = inject('dynamo');
    git = await startGitServer();
    cacheDir = mkdtempSync(join(tmpdir(), 'driftless-retry-'));
    sqs = new SQSClient({ ...LOCAL_AWS, endpoint: awsEndpoint });
    // Sized like the deployed queue's (six times a 15-minute reconciler timeout).
    queueUrl = (
      await sqs.send(
        new CreateQueueCommand({
          QueueName: uniqueName('reconcile-retry'),
          Attributes: { VisibilityTimeout: '5400' },
        }),
      )
    ).QueueUrl!;
    // A table of its own: other files' scheduler runs remove registry entries they do not declare.
    table = createStateTable({
      tableName: uniqueName('retry'),
      client: localDynamoClient(dynamo.endpoint),
    });
    await ensureTable(table.client, table.tableName);
    Object.assign(process.env, {
      AWS_REGION: LOCAL_AWS.region,
      AWS_ACCESS_KEY_ID: LOCAL_AWS.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_AWS.credentials.secretAccessKey,
      AWS_ENDPOINT_URL: awsEndpoint,
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      TABLE_NAME: table.tableName,
      QUEUE_URL: queueUrl,
      SOURCE_CACHE_DIR: cacheDir,
      POWERTOOLS_METRICS_NAMESPACE: 'DriftlessTest',
      POWERTOOLS_TRACE_ENABLED: 'false',
      POWERTOOLS_LOG_LEVEL: 'ERROR',
    });
    reconciler = (await import('../../functions/reconciler.ts')).handler as Reconciler;
    loopDelay.enable();
  });

  afterAll(async () => {
    loopDelay.disable();
    console.log(
      `[reconciler-retry] event loop delay: p99 ${(loopDelay.percentile(99) / 1e6).toFixed(0)} ms, max ${(loopDelay.max / 1e6).toFixed(0)} ms`,
    );
    await git.stop();
    sqs.destroy();
    table.client.destroy();
    rmSync(cacheDir, { recursive: true, force: true });
  });

  /** A registered application on cluster-a with one ConfigMap in its source, never reconciled. */
  async function registered(prefix: string): Promise<string> {
    const name = uniqueName(prefix);
    const url = git.createRepo(name);
    commitTree(git.repoPath(name), 'main', { 'app/cm.yaml': configMapYaml('settings', 'one') });
    await putRegistryEntry(table, {
      name,
      file: `apps/${name}.yaml`,
      app: Application.parse({
        apiVersion: 'driftless.dev/v1alpha1',
        kind: 'Application',
        metadata: { name },
        spec: {
          source: { repoURL: url, targetRevision: 'main', path: 'app' },
          destination: { cluster: 'cluster-a', namespace: name },
          syncPolicy: { automated: { prune: true }, syncOptions: ['CreateNamespace=true'] },
          healthTimeout: '20s',
        },
      }),
      cluster: Cluster.parse({
        apiVersion: 'driftless.dev/v1alpha1',
        kind: 'Cluster',
        metadata: { name: 'cluster-a' },
        spec: { kubeconfig: { file: cluster('cluster-a').kubeconfig } },
      }),
    });
    return name;
  }

  async function enqueue(app: string): Promise<void> {
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: JSON.stringify({
          app,
          mode: 'auto',
          trigger: { kind: 'webhook', by: 'test' },
          enqueuedAt: Date.now(),
        }),
      }),
    );
  }

  async function inFlight(): Promise<{ visible: number; hidden: number; delayed: number }> {
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: [
          'ApproximateNumberOfMessages',
          'ApproximateNumberOfMessagesNotVisible',
          'ApproximateNumberOfMessagesDelayed',
        ],
      }),
    );
    return {
      visible: Number(Attributes?.ApproximateNumberOfMessages),
      hidden: Number(Attributes?.ApproximateNumberOfMessagesNotVisible),
      delayed: Number(Attributes?.ApproximateNumberOfMessagesDelayed),
    };
  }

  /** Delivers until a batch arrives, as the event source polls; returns when it did. */
  async function redeliver(
    handler: Reconciler,
    withinMs: number,
  ): Promise<{ at: number; failed: string[] }> {
    const until = Date.now() + withinMs;
    while (Date.now() < until) {
      const { delivered, failed } = await deliverQueue(sqs, queueUrl, handler, { waitSeconds: 1 });
      if (delivered.length > 0) return { at: Date.now(), failed };
    }
    throw new Error(`no message came back within ${withinMs} ms`);
  }

  it('a busy message comes back after the lease retry hint, not the 90-minute visibility timeout, without counting towards the dead-letter queue (SQS delay through moto)', async () => {
    const app = await registered('retry-busy');
    const held = await acquireLease(table, app, { owner: 'cli:someone/sync', ttlMs: 4_000 });
    expect(held.status).toBe('acquired');
    await enqueue(app);

    const first = await deliverQueue(sqs, queueUrl, reconciler);
    const metBusyAt = Date.now();
    expect(first.delivered).toEqual([app]);
    // Not a failure (it would count towards the dead-letter queue): a delayed copy replaces it.
    expect(first.failed).toEqual([]);
    expect(await inFlight()).toEqual({ visible: 0, hidden: 0, delayed: 1 });

    // The hint was what was left of the 4 s lease: under 4 s, sent with a 4-5 s delay.
    const again = await redeliver(reconciler, 15_000);
    const waitedMs = again.at - metBusyAt;
    console.log(`[reconciler-retry] busy message came back after ${waitedMs} ms`);
    expect(waitedMs).toBeGreaterThan(2_500);
    expect(waitedMs).toBeLessThan(9_000);
    // By then the holder's lease had expired: the message reconciles and is gone.
    expect(again.failed).toEqual([]);
    expect(await configMapValue(cluster('cluster-a'), app, 'settings')).toBe('one');
    expect(await inFlight()).toEqual({ visible: 0, hidden: 0, delayed: 0 });
  });

  it('a message handled with little Lambda time left is not started, writes nothing and comes back at once (SQS delay through moto)', async () => {
    const app = await registered('retry-deadline');
    await enqueue(app);
    const nearlyOver: Reconciler = (event) =>
      reconciler(event, { ...lambdaContext('reconciler'), getRemainingTimeInMillis: () => 5_000 });

    const first = await deliverQueue(sqs, queueUrl, nearlyOver);
    const returnedAt = Date.now();
    expect(first.delivered).toEqual([app]);
    expect(first.failed).toEqual([]);
    // No lease taken, no state, nothing on the cluster.
    expect(await readApp(table, app)).toBeUndefined();
    await expect(kubectl(cluster('cluster-a'), 'get', 'namespace', app)).rejects.toThrow(
      /NotFound/,
    );

    // Returned with a one-second delay (plus jitter) for an invocation with time to run it.
    const again = await redeliver(reconciler, 10_000);
    console.log(`[reconciler-retry] deferred message came back after ${again.at - returnedAt} ms`);
    expect(again.at - returnedAt).toBeLessThan(5_000);
    expect(again.failed).toEqual([]);
    expect(await configMapValue(cluster('cluster-a'), app, 'settings')).toBe('one');
    expect((await readApp(table, app))?.state).toMatchObject({ syncStatus: 'Synced' });
  });
});
