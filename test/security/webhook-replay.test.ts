import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, describe, expect, inject, it } from 'vitest';
import type { ReconcileMessageInput, ReconcileQueue } from '../../shared/queue/message.ts';
import { webhookDeps } from '../../shared/runtime/webhook-deps.ts';
import { deliveryKey } from '../../shared/state/keys.ts';
import {
  handleWebhook,
  type Provider,
  type RouteCandidate,
  type WebhookDeps,
} from '../../shared/webhooks/index.ts';
import { fixture, providerRequest, SECRETS, type Json } from '../fixtures/webhooks/requests.ts';
import { localStateTable } from '../integration/fixtures/state-table.ts';

const REGISTRY: RouteCandidate[] = [
  {
    name: 'web',
    repoURL: 'https://github.com/acme/platform-config',
    targetRevision: 'main',
    path: 'apps/web',
  },
  {
    name: 'worker',
    repoURL: 'https://gitlab.example.com/infra/platform-config.git',
    targetRevision: 'main',
    path: 'apps/worker',
  },
];

const FIXTURES: Partial<Record<Provider, string>> = {
  github: 'github-push',
  gitlab: 'gitlab-push',
};

/** A signed push whose body no other test sends: the table is shared, and keys are body digests. */
function uniquePush(provider: 'github' | 'gitlab'): Json {
  const body = fixture(FIXTURES[provider]!);
  body.after = randomBytes(20).toString('hex');
  return body;
}

const digestOf = (body: Buffer) => `sha256:${createHash('sha256').update(body).digest('hex')}`;

/** A queue that records what it was sent, and fails while `down` is set. */
class RecordingQueue implements ReconcileQueue {
  readonly sent: ReconcileMessageInput[] = [];
  down = false;
  async send(messages: { message: ReconcileMessageInput }[]): Promise<void> {
    if (this.down) throw new Error('SQS unavailable');
    this.sent.push(...messages.map((m) => m.message));
  }
}

describe('webhook replays against the DynamoDB delivery store (dynalite)', () => {
  const { endpoint, tableName } = inject('dynamo');
  let clock = Date.now();
  const table = localStateTable(endpoint, tableName, { now: () => clock });
  afterAll(() => table.client.destroy());

  /** The production wiring (webhook-deps.ts) on the shared table, with a fixed registry. */
  function setup(): { deps: WebhookDeps; queue: RecordingQueue } {
    const queue = new RecordingQueue();
    const deps = webhookDeps({
      table,
      queue,
      secret: async (provider) => SECRETS[provider],
    });
    return { deps: { ...deps, applications: async () => REGISTRY }, queue };
  }

  const stored = async (provider: Provider, id: string) =>
    (
      await table.client.send(
        new GetItemCommand({
          TableName: table.tableName,
          Key: deliveryKey(provider, id),
          ConsistentRead: true,
        }),
      )
    ).Item !== undefined;

  it.each(['github', 'gitlab'] as const)(
    '%s: the captured body under a new delivery id → 200 duplicate, nothing enqueued',
    async (provider) => {
      const { deps, queue } = setup();
      const body = uniquePush(provider);
      const original = providerRequest(provider, body, { deliveryId: 'genuine-delivery' });
      expect((await handleWebhook(original, deps)).statusCode).toBe(202);
      expect(queue.sent).toHaveLength(1);

      for (const id of ['replay-1', 'replay-2', 'genuine-delivery']) {
        const replay = providerRequest(provider, body, { deliveryId: id });
        expect(await handleWebhook(replay, deps)).toMatchObject({
          statusCode: 200,
          body: { message: 'duplicate delivery, ignored', deliveryId: id },
        });
      }
      expect(queue.sent).toHaveLength(1);

      // What the table remembers is the body, not the (unsigned) id.
      expect(await stored(provider, digestOf(original.body))).toBe(true);
      expect(await stored(provider, 'genuine-delivery')).toBe(false);
    },
  );

  it('enqueue fails → 500 and nothing recorded; the redelivery is processed, later copies are not', async () => {
    const { deps, queue } = setup();
    const body = uniquePush('github');
    const delivery = providerRequest('github', body, { deliveryId: 'will-fail-once' });

    queue.down = true;
    expect((await handleWebhook(delivery, deps)).statusCode).toBe(500);
    expect(await stored('github', digestOf(delivery.body))).toBe(false);

    queue.down = false;
    expect(await handleWebhook(delivery, deps)).toMatchObject({
      statusCode: 202,
      body: { applications: ['web'] },
    });
    expect(queue.sent).toHaveLength(1);
    expect(await stored('github', digestOf(delivery.body))).toBe(true);

    const replay = providerRequest('github', body, { deliveryId: 'replay-after-retry' });
    expect((await handleWebhook(replay, deps)).statusCode).toBe(200);
    expect((await handleWebhook(delivery, deps)).statusCode).toBe(200);
    expect(queue.sent).toHaveLength(1);
  });

  it('the push is not lost when the redelivery fails to enqueue as well: the third copy is processed', async () => {
    const { deps, queue } = setup();
    const body = uniquePush('gitlab');
    const delivery = providerRequest('gitlab', body, { deliveryId: 'fails-twice' });

    queue.down = true;
    expect((await handleWebhook(delivery, deps)).statusCode).toBe(500);
    expect((await handleWebhook(delivery, deps)).statusCode).toBe(500);
    expect(await stored('gitlab', digestOf(delivery.body))).toBe(false);

    queue.down = false;
    expect(await handleWebhook(delivery, deps)).toMatchObject({
      statusCode: 202,
      body: { applications: ['worker'] },
    });
    expect(queue.sent.map((m) => m.trigger)).toEqual([
      { kind: 'webhook', by: 'gitlab', deliveryId: 'fails-twice' },
    ]);
    expect((await handleWebhook(delivery, deps)).statusCode).toBe(200);
    expect(queue.sent).toHaveLength(1);
  });

  it('a reused delivery id with a different signed body is processed: it is another payload', async () => {
    const { deps, queue } = setup();
    const id = 'id-the-provider-reused';
    const first = providerRequest('github', uniquePush('github'), { deliveryId: id });
    const second = providerRequest('github', uniquePush('github'), { deliveryId: id });
    expect((await handleWebhook(first, deps)).statusCode).toBe(202);
    expect((await handleWebhook(second, deps)).statusCode).toBe(202);
    expect(queue.sent.map((m) => m.trigger)).toEqual([
      { kind: 'webhook', by: 'github', deliveryId: id },
      { kind: 'webhook', by: 'github', deliveryId: id },
    ]);
  });

  it('a burst of concurrent replays under fresh ids: each copy enqueued at most once, every later copy a duplicate', async () => {
    const { deps, queue } = setup();
    const body = uniquePush('gitlab');
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        handleWebhook(providerRequest('gitlab', body, { deliveryId: `burst-${i}` }), deps),
      ),
    );
    // Copies that read before the first record was written are all processed
    // (harmless: reconciles are idempotent); the rest are duplicates.
    const accepted = answers.filter((a) => a.statusCode === 202).length;
    expect(accepted).toBeGreaterThanOrEqual(1);
    expect(answers.filter((a) => a.statusCode === 200)).toHaveLength(8 - accepted);
    expect(queue.sent).toHaveLength(accepted);

    const late = providerRequest('gitlab', body, { deliveryId: 'after-the-burst' });
    expect((await handleWebhook(late, deps)).statusCode).toBe(200);
    expect(queue.sent).toHaveLength(accepted);
  });

  it('the record lasts the delivery TTL (a week); a replay after that is processed again', async () => {
    const { deps, queue } = setup();
    const body = uniquePush('github');
    const digest = digestOf(providerRequest('github', body).body);
    expect((await handleWebhook(providerRequest('github', body), deps)).statusCode).toBe(202);
    clock += 6 * 24 * 3600_000;
    expect((await handleWebhook(providerRequest('github', body), deps)).statusCode).toBe(200);
    clock += 2 * 24 * 3600_000;
    // Expired but still stored (TTL deletes late): the read treats it as absent.
    expect(await stored('github', digest)).toBe(true);
    expect((await handleWebhook(providerRequest('github', body), deps)).statusCode).toBe(202);
    expect(queue.sent).toHaveLength(2);
    // Processing it recorded it afresh, for another week.
    expect((await handleWebhook(providerRequest('github', body), deps)).statusCode).toBe(200);
    expect(queue.sent).toHaveLength(2);
  });
});
