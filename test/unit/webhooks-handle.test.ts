import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  handleWebhook,
  MAX_BODY_BYTES,
  type Provider,
  type PushEvent,
  type RouteCandidate,
  type WebhookDeps,
} from '../../shared/webhooks/index.ts';
import {
  fixture,
  hmacHex,
  lowerCased,
  providerRequest,
  SECRETS,
  type Json,
  without,
} from '../fixtures/webhooks/requests.ts';

const GITHUB = 'https://github.com/acme/platform-config';
const GITLAB = 'https://gitlab.example.com/infra/platform-config.git';
const BITBUCKET = 'git@bitbucket.org:acme/platform-config.git';
const GITEA = 'https://gitea.example.com/acme/platform-config';

const REGISTRY: RouteCandidate[] = [
  { name: 'web', repoURL: GITHUB, targetRevision: 'main', path: 'apps/web' },
  { name: 'api', repoURL: `${GITHUB}.git`, targetRevision: 'HEAD', path: 'apps/api' },
  { name: 'billing', repoURL: GITHUB, targetRevision: 'main', path: 'apps/billing' },
  {
    name: 'web-paused',
    repoURL: GITHUB,
    targetRevision: 'main',
    path: 'apps/web',
    suspended: true,
  },
  { name: 'worker', repoURL: GITLAB, targetRevision: 'main', path: 'apps/worker' },
  { name: 'gl-other', repoURL: GITLAB, targetRevision: 'main', path: 'apps/other' },
  { name: 'gl-release', repoURL: GITLAB, targetRevision: 'refs/tags/v1.4.0', path: '.' },
  { name: 'bb-web', repoURL: BITBUCKET, targetRevision: 'main', path: 'apps/web' },
  { name: 'bb-release', repoURL: BITBUCKET, targetRevision: 'v3.1.0', path: '.' },
  { name: 'staging', repoURL: GITEA, targetRevision: 'develop', path: 'envs/staging' },
  { name: 'prod', repoURL: GITEA, targetRevision: 'main', path: 'envs/prod' },
];

const PAYLOADS: Record<Provider, string> = {
  github: 'github-push',
  gitlab: 'gitlab-push',
  bitbucket: 'bitbucket-push',
  gitea: 'gitea-push',
};

function harness() {
  const recorded = new Set<string>();
  const enqueued: { apps: string[]; push: PushEvent }[] = [];
  const logs: { event: string; fields: Record<string, unknown> }[] = [];
  const deps = {
    secret: vi.fn(async (provider: Provider): Promise<string | undefined> => SECRETS[provider]),
    wasDelivered: vi.fn(async (provider: Provider, id: string) =>
      recorded.has(`${provider}/${id}`),
    ),
    recordDelivered: vi.fn(async (provider: Provider, id: string) => {
      recorded.add(`${provider}/${id}`);
    }),
    applications: vi.fn(async () => REGISTRY),
    enqueue: vi.fn(async (apps: string[], push: PushEvent) => {
      enqueued.push({ apps, push });
    }),
    enqueuePreview: vi.fn(async () => {}),
    log: (event: string, fields: Record<string, unknown>) => logs.push({ event, fields }),
  } satisfies WebhookDeps;
  return { deps, enqueued, recorded, logs };
}

const request = (provider: Provider, body?: Json | Buffer, options = {}) =>
  providerRequest(provider, body ?? fixture(PAYLOADS[provider]), options);

afterEach(() => vi.restoreAllMocks());

describe('handleWebhook: accepted pushes', () => {
  it.each([
    ['github', ['web', 'api']],
    ['gitlab', ['worker']],
    ['bitbucket', ['bb-web']],
    ['gitea', ['staging']],
  ] as const)('%s push → 202 and enqueues exactly %j', async (provider, apps) => {
    const { deps, enqueued } = harness();
    const res = await handleWebhook(request(provider), deps);
    expect(res).toEqual({
      statusCode: 202,
      body: {
        message: `enqueued ${apps.length} application${apps.length === 1 ? '' : 's'}`,
        provider,
        deliveryId: '72d3162e-cc78-11e3-81ab-4c9367dc0958',
        applications: apps,
      },
    });
    expect(enqueued).toHaveLength(1);
    expect(enqueued[0]!.apps).toEqual(apps);
    expect(enqueued[0]!.push).toMatchObject({
      provider,
      deliveryId: '72d3162e-cc78-11e3-81ab-4c9367dc0958',
    });
  });

  it.each(['github', 'gitlab', 'bitbucket', 'gitea'] as const)(
    '%s: the same request with API Gateway’s lower-cased headers gives the same answer',
    async (provider) => {
      const original = await handleWebhook(request(provider), harness().deps);
      const req = request(provider);
      const lowered = await handleWebhook(
        { ...req, headers: lowerCased(req.headers) },
        harness().deps,
      );
      expect(lowered).toEqual(original);
    },
  );

  it('accepts header records with undefined values (as API Gateway types them)', async () => {
    const { deps } = harness();
    const req = request('github');
    const res = await handleWebhook(
      { headers: { ...req.headers, cookie: undefined }, body: req.body },
      deps,
    );
    expect(res.statusCode).toBe(202);
  });

  it('a push that touches no application → 202, nothing enqueued', async () => {
    const { deps } = harness();
    const payload = fixture('github-push');
    payload.commits = [{ added: ['README.md'], modified: [], removed: [] }];
    const res = await handleWebhook(request('github', payload), deps);
    expect(res.statusCode).toBe(202);
    expect(res.body).toMatchObject({ message: 'no application affected', applications: [] });
    expect(deps.enqueue).not.toHaveBeenCalled();
  });

  it('Bitbucket: one enqueue per updated ref, applications listed once', async () => {
    const { deps, enqueued } = harness();
    const payload = fixture('bitbucket-push') as { push: { changes: Json[] } };
    const [main] = payload.push.changes;
    payload.push.changes.push({
      ...main,
      old: null,
      new: { type: 'tag', name: 'v3.1.0', target: { type: 'commit', hash: 'c0ffee' } },
    });
    const res = await handleWebhook(request('bitbucket', payload as Json), deps);
    expect(res.statusCode).toBe(202);
    expect(res.body.applications).toEqual(['bb-web', 'bb-release']);
    expect(enqueued.map((e) => [e.apps, e.push.ref.name])).toEqual([
      [['bb-web'], 'main'],
      [['bb-release'], 'v3.1.0'],
    ]);
  });
});

describe('handleWebhook: size limit', () => {
  /** A valid, signed push padded with JSON whitespace to exactly `size` bytes. */
  function ofSize(size: number) {
    const json = JSON.stringify(fixture('github-push'));
    return request('github', Buffer.from(json + ' '.repeat(size - Buffer.byteLength(json))));
  }

  it('413 at 1 MiB + 1 byte, before looking at headers or secrets', async () => {
    const { deps } = harness();
    const req = ofSize(MAX_BODY_BYTES + 1);
    expect(req.body.length).toBe(1_048_577);
    const res = await handleWebhook(req, deps);
    expect(res).toEqual({
      statusCode: 413,
      body: { message: 'payload larger than 1048576 bytes' },
    });
    expect(deps.secret).not.toHaveBeenCalled();
  });

  it('exactly 1 MiB is accepted', async () => {
    const res = await handleWebhook(ofSize(MAX_BODY_BYTES), harness().deps);
    expect(res.statusCode).toBe(202);
  });

  it('honours a smaller configured limit', async () => {
    const res = await handleWebhook(request('github'), harness().deps, { maxBodyBytes: 100 });
    expect(res.statusCode).toBe(413);
  });
});

describe('handleWebhook: authentication', () => {
  it('400 when no provider’s headers are present', async () => {
    const { deps } = harness();
    const res = await handleWebhook(
      { headers: { 'content-type': 'application/json' }, body: Buffer.from('{}') },
      deps,
    );
    expect(res).toEqual({
      statusCode: 400,
      body: { message: 'unknown provider: no GitHub, GitLab, Bitbucket or Gitea headers' },
    });
    expect(deps.secret).not.toHaveBeenCalled();
  });

  it('401 when the provider has no secret configured', async () => {
    const { deps } = harness();
    deps.secret.mockResolvedValue(undefined);
    const res = await handleWebhook(request('gitlab'), deps);
    expect(res).toEqual({
      statusCode: 401,
      body: { message: 'gitlab webhooks are not configured', provider: 'gitlab' },
    });
  });

  const forgeries: [
    string,
    (provider: Provider) => { headers: Record<string, string>; body: Buffer },
  ][] = [
    [
      'a missing signature',
      (provider) => {
        const req = request(provider);
        for (const name of [
          'X-Hub-Signature-256',
          'X-Gitlab-Token',
          'X-Hub-Signature',
          'X-Gitea-Signature',
        ]) {
          delete req.headers[name];
        }
        return req;
      },
    ],
    ['a wrong secret', (provider) => request(provider, undefined, { secret: 'guess' })],
    [
      'a body altered after signing',
      (provider) => {
        const req = request(provider);
        return { ...req, body: Buffer.from(req.body.toString().replace('"main"', '"prod"')) };
      },
    ],
    [
      'a signed body replaced by garbage',
      (provider) => ({ ...request(provider), body: Buffer.from('not json at all') }),
    ],
  ];

  describe.each(['github', 'bitbucket', 'gitea'] as const)('%s', (provider) => {
    it.each(forgeries)(
      '401 for %s; body never parsed, delivery id not burned',
      async (_, forge) => {
        const { deps } = harness();
        const forged = forge(provider);
        const parse = vi.spyOn(JSON, 'parse');
        const res = await handleWebhook(forged, deps);
        const parseCalls = parse.mock.calls.length;
        parse.mockRestore();
        expect(res).toEqual({
          statusCode: 401,
          body: { message: 'missing or invalid signature', provider },
        });
        expect(parseCalls).toBe(0);
        expect(deps.wasDelivered).not.toHaveBeenCalled();
        expect(deps.recordDelivered).not.toHaveBeenCalled();
        expect(deps.enqueue).not.toHaveBeenCalled();

        // The genuine delivery with the same id still goes through.
        expect((await handleWebhook(request(provider), deps)).statusCode).toBe(202);
      },
    );
  });

  it.each([
    ['a missing token', (req: ReturnType<typeof request>) => delete req.headers['X-Gitlab-Token']],
    [
      'a wrong token',
      (req: ReturnType<typeof request>) => (req.headers['X-Gitlab-Token'] = 'guess'),
    ],
  ])('GitLab: 401 for %s', async (_, tamper) => {
    const { deps } = harness();
    const req = request('gitlab');
    tamper(req);
    const res = await handleWebhook(req, deps);
    expect(res.statusCode).toBe(401);
    expect(deps.wasDelivered).not.toHaveBeenCalled();
    expect(deps.recordDelivered).not.toHaveBeenCalled();
  });

  it('Gitea: a valid GitHub-style signature alone does not pass for Gitea', async () => {
    const { deps } = harness();
    const req = request('gitea');
    req.headers['X-Gitea-Signature'] = hmacHex('other', req.body);
    expect((await handleWebhook(req, deps)).statusCode).toBe(401);
  });
});

describe('handleWebhook: payloads', () => {
  it('400 for a body that is not JSON but carries a valid signature', async () => {
    const { deps } = harness();
    const res = await handleWebhook(request('github', Buffer.from('<xml/>')), deps);
    expect(res.statusCode).toBe(400);
    expect(res.body.message).toMatch(/^invalid payload: body is not JSON: /);
    expect(res.body.provider).toBe('github');
    expect(deps.wasDelivered).not.toHaveBeenCalled();
    expect(deps.recordDelivered).not.toHaveBeenCalled();
  });

  it('400 naming the missing field', async () => {
    const noRef = without(fixture('gitea-push'), 'ref');
    const res = await handleWebhook(request('gitea', noRef), harness().deps);
    expect(res).toEqual({
      statusCode: 400,
      body: {
        message: 'invalid payload: ref: Invalid input: expected string, received undefined',
        provider: 'gitea',
        deliveryId: '72d3162e-cc78-11e3-81ab-4c9367dc0958',
      },
    });
  });

  it('ping → 202 ignored, nothing recorded or enqueued', async () => {
    const { deps } = harness();
    const res = await handleWebhook(
      request('github', fixture('github-ping'), { event: 'ping' }),
      deps,
    );
    expect(res).toEqual({
      statusCode: 202,
      body: {
        message: 'ignored: ping',
        provider: 'github',
        deliveryId: '72d3162e-cc78-11e3-81ab-4c9367dc0958',
      },
    });
    expect(deps.wasDelivered).not.toHaveBeenCalled();
    expect(deps.recordDelivered).not.toHaveBeenCalled();
    expect(deps.applications).not.toHaveBeenCalled();
    expect(deps.enqueue).not.toHaveBeenCalled();
  });

  it('branch deletion → 202 ignored', async () => {
    const { deps } = harness();
    const deleted = { ...fixture('gitlab-push'), after: '0'.repeat(40), checkout_sha: null };
    const res = await handleWebhook(request('gitlab', deleted), deps);
    expect(res.statusCode).toBe(202);
    expect(res.body.message).toBe('ignored: branch main deleted');
    expect(deps.enqueue).not.toHaveBeenCalled();
  });
});

describe('handleWebhook: delivery deduplication', () => {
  it.each(['github', 'gitlab', 'bitbucket', 'gitea'] as const)(
    '%s: a redelivery (same body, same id) → 200, enqueued once',
    async (provider) => {
      const { deps } = harness();
      expect((await handleWebhook(request(provider), deps)).statusCode).toBe(202);
      const again = await handleWebhook(request(provider), deps);
      expect(again).toEqual({
        statusCode: 200,
        body: {
          message: 'duplicate delivery, ignored',
          provider,
          deliveryId: '72d3162e-cc78-11e3-81ab-4c9367dc0958',
        },
      });
      expect(deps.enqueue).toHaveBeenCalledTimes(1);
    },
  );

  it.each(['github', 'gitlab', 'bitbucket', 'gitea'] as const)(
    '%s: the signed body replayed under a new delivery id → 200, nothing more enqueued',
    async (provider) => {
      const { deps } = harness();
      const original = request(provider, undefined, { deliveryId: 'original' });
      expect((await handleWebhook(original, deps)).statusCode).toBe(202);
      const replay = request(provider, undefined, { deliveryId: 'fresh-id-from-attacker' });
      expect(replay.body).toEqual(original.body);
      expect(await handleWebhook(replay, deps)).toEqual({
        statusCode: 200,
        body: {
          message: 'duplicate delivery, ignored',
          provider,
          deliveryId: 'fresh-id-from-attacker',
        },
      });
      expect(deps.enqueue).toHaveBeenCalledTimes(1);
    },
  );

  it('a reused delivery id with a different signed body is a different delivery: processed', async () => {
    const { deps } = harness();
    const first = fixture('github-push');
    const second = { ...fixture('github-push'), after: 'f'.repeat(40) };
    expect((await handleWebhook(request('github', first), deps)).statusCode).toBe(202);
    expect((await handleWebhook(request('github', second), deps)).statusCode).toBe(202);
    expect(deps.enqueue).toHaveBeenCalledTimes(2);
  });

  it('keys on the provider and the SHA-256 of the raw body, never on the id header', async () => {
    const { deps } = harness();
    const req = request('gitlab', undefined, { deliveryId: 'some-id' });
    await handleWebhook(req, deps);
    const digest = `sha256:${createHash('sha256').update(req.body).digest('hex')}`;
    expect(deps.wasDelivered.mock.calls).toEqual([['gitlab', digest]]);
    expect(deps.recordDelivered.mock.calls).toEqual([['gitlab', digest]]);
  });

  it('reads before processing and records only after the enqueue', async () => {
    const { deps } = harness();
    await handleWebhook(request('bitbucket'), deps);
    const order = (mock: { mock: { invocationCallOrder: number[] } }) =>
      mock.mock.invocationCallOrder;
    expect(order(deps.wasDelivered)).toHaveLength(1);
    expect(order(deps.enqueue)).toHaveLength(1);
    expect(order(deps.recordDelivered)).toHaveLength(1);
    expect(order(deps.wasDelivered)[0]).toBeLessThan(order(deps.applications)[0]!);
    expect(order(deps.enqueue)[0]).toBeLessThan(order(deps.recordDelivered)[0]!);
  });

  it('a duplicate is neither enqueued nor recorded again', async () => {
    const { deps } = harness();
    await handleWebhook(request('gitea'), deps);
    expect((await handleWebhook(request('gitea'), deps)).statusCode).toBe(200);
    expect(deps.applications).toHaveBeenCalledTimes(1);
    expect(deps.recordDelivered).toHaveBeenCalledTimes(1);
  });

  it('a push that touched nothing is still recorded: its redelivery is a duplicate', async () => {
    const { deps } = harness();
    const payload = fixture('gitea-push');
    payload.ref = 'refs/heads/feature/x';
    expect((await handleWebhook(request('gitea', payload), deps)).body.applications).toEqual([]);
    expect((await handleWebhook(request('gitea', payload), deps)).statusCode).toBe(200);
  });

  it('enqueue fails → 500, nothing recorded; the redelivery is processed; the one after that is a duplicate', async () => {
    const { deps, enqueued, recorded } = harness();
    deps.enqueue.mockRejectedValueOnce(new Error('SQS unavailable'));
    const failed = await handleWebhook(request('github'), deps);
    expect(failed).toEqual({
      statusCode: 500,
      body: {
        message: 'could not enqueue the affected applications',
        provider: 'github',
        deliveryId: '72d3162e-cc78-11e3-81ab-4c9367dc0958',
      },
    });
    expect(enqueued).toHaveLength(0);
    expect(recorded.size).toBe(0);
    expect(deps.recordDelivered).not.toHaveBeenCalled();

    const retried = await handleWebhook(request('github'), deps);
    expect(retried.statusCode).toBe(202);
    expect(retried.body.applications).toEqual(['web', 'api']);
    expect((await handleWebhook(request('github'), deps)).statusCode).toBe(200);
    expect(enqueued).toHaveLength(1);
  });

  it('enqueue fails → a replay of the body under a new id is processed: the push was never queued', async () => {
    const { deps, enqueued } = harness();
    deps.enqueue.mockRejectedValueOnce(new Error('SQS unavailable'));
    expect((await handleWebhook(request('github'), deps)).statusCode).toBe(500);
    const replay = request('github', undefined, { deliveryId: 'another-id' });
    expect((await handleWebhook(replay, deps)).statusCode).toBe(202);
    expect((await handleWebhook(request('github'), deps)).statusCode).toBe(200);
    expect(enqueued).toHaveLength(1);
  });

  it('a redelivery that fails to enqueue as well: the third copy is still processed (the push is not lost)', async () => {
    const { deps, enqueued, recorded } = harness();
    deps.enqueue.mockRejectedValueOnce(new Error('down')).mockRejectedValueOnce(new Error('down'));
    expect((await handleWebhook(request('github'), deps)).statusCode).toBe(500);
    expect((await handleWebhook(request('github'), deps)).statusCode).toBe(500);
    expect(recorded.size).toBe(0);
    const third = await handleWebhook(request('github'), deps);
    expect(third.statusCode).toBe(202);
    expect(third.body.applications).toEqual(['web', 'api']);
    expect(enqueued).toHaveLength(1);
    expect((await handleWebhook(request('github'), deps)).statusCode).toBe(200);
    expect(deps.enqueue).toHaveBeenCalledTimes(3);
  });

  it('an enqueue that fails part-way (Bitbucket, two refs) records nothing: the redelivery enqueues again', async () => {
    const { deps } = harness();
    const payload = fixture('bitbucket-push') as { push: { changes: Json[] } };
    const [main] = payload.push.changes;
    payload.push.changes.push({
      ...main,
      old: null,
      new: { type: 'tag', name: 'v3.1.0', target: { type: 'commit', hash: 'c0ffee' } },
    });
    deps.enqueue.mockResolvedValueOnce().mockRejectedValueOnce(new Error('SQS unavailable'));
    expect((await handleWebhook(request('bitbucket', payload as Json), deps)).statusCode).toBe(500);
    expect(deps.recordDelivered).not.toHaveBeenCalled();
    const again = await handleWebhook(request('bitbucket', payload as Json), deps);
    expect(again.body.applications).toEqual(['bb-web', 'bb-release']);
  });

  it('the registry fails → 500, and the redelivery is processed', async () => {
    const { deps } = harness();
    deps.applications.mockRejectedValueOnce(new Error('throttled'));
    expect((await handleWebhook(request('gitlab'), deps)).statusCode).toBe(500);
    expect(deps.recordDelivered).not.toHaveBeenCalled();
    expect((await handleWebhook(request('gitlab'), deps)).statusCode).toBe(202);
    expect(deps.enqueue).toHaveBeenCalledTimes(1);
  });

  it('the delivery store fails → the push is enqueued anyway, unchecked (fail open)', async () => {
    const { deps, logs } = harness();
    deps.wasDelivered.mockRejectedValue(new Error('DynamoDB unavailable'));
    deps.recordDelivered.mockRejectedValue(new Error('DynamoDB unavailable'));
    const res = await handleWebhook(request('github'), deps);
    expect(res.statusCode).toBe(202);
    expect(res.body.applications).toEqual(['web', 'api']);
    expect(logs.map((l) => l.event)).toEqual([
      'webhook.dedupe_failed',
      'webhook.record_failed',
      'webhook.accepted',
    ]);
    expect(logs.at(-1)!.fields).toMatchObject({ admission: 'unchecked' });
    // Each copy is processed while the store is down.
    expect((await handleWebhook(request('github'), deps)).statusCode).toBe(202);
    expect(deps.enqueue).toHaveBeenCalledTimes(2);
  });

  it('a failed check with a working record: processed unchecked, and later copies are duplicates', async () => {
    const { deps } = harness();
    deps.wasDelivered.mockRejectedValueOnce(new Error('timeout'));
    expect((await handleWebhook(request('github'), deps)).statusCode).toBe(202);
    expect((await handleWebhook(request('github'), deps)).statusCode).toBe(200);
    expect(deps.enqueue).toHaveBeenCalledTimes(1);
  });

  it('a failed record still answers 202 (the push is on the queue); the next copy is processed again', async () => {
    const { deps, logs } = harness();
    deps.recordDelivered.mockRejectedValueOnce(new Error('timeout'));
    const res = await handleWebhook(request('github'), deps);
    expect(res.statusCode).toBe(202);
    expect(res.body.applications).toEqual(['web', 'api']);
    expect(logs.map((l) => l.event)).toEqual(['webhook.record_failed', 'webhook.accepted']);
    expect((await handleWebhook(request('github'), deps)).statusCode).toBe(202);
    expect((await handleWebhook(request('github'), deps)).statusCode).toBe(200);
    expect(deps.enqueue).toHaveBeenCalledTimes(2);
  });

  it('a record that throws synchronously is caught like a rejected one', async () => {
    const { deps } = harness();
    deps.recordDelivered.mockImplementationOnce(() => {
      throw new Error('not a promise');
    });
    expect((await handleWebhook(request('github'), deps)).statusCode).toBe(202);
  });

  it('concurrent identical deliveries may both be enqueued (both read before either records)', async () => {
    const { deps } = harness();
    const answers = await Promise.all([
      handleWebhook(request('gitlab', undefined, { deliveryId: 'a' }), deps),
      handleWebhook(request('gitlab', undefined, { deliveryId: 'b' }), deps),
    ]);
    expect(answers.map((a) => a.statusCode)).toEqual([202, 202]);
    expect(deps.enqueue).toHaveBeenCalledTimes(2);
    expect((await handleWebhook(request('gitlab'), deps)).statusCode).toBe(200);
  });
});

describe('handleWebhook: dependency failures', () => {
  it('deps may be a class instance: its methods keep their `this`', async () => {
    class Deps implements WebhookDeps {
      readonly seen = new Set<string>();
      readonly queued: string[][] = [];
      async secret(provider: Provider) {
        return SECRETS[provider];
      }
      async wasDelivered(provider: Provider, id: string) {
        return this.seen.has(`${provider}/${id}`);
      }
      async recordDelivered(provider: Provider, id: string) {
        this.seen.add(`${provider}/${id}`);
      }
      async applications() {
        return REGISTRY;
      }
      async enqueue(apps: string[]) {
        this.queued.push(apps);
      }
      async enqueuePreview() {
        throw new Error('a push enqueues no preview');
      }
    }
    const deps = new Deps();
    expect((await handleWebhook(request('gitea'), deps)).statusCode).toBe(202);
    expect((await handleWebhook(request('gitea'), deps)).statusCode).toBe(200);
    expect(deps.queued).toEqual([['staging']]);
  });

  it('a failing secret lookup → 500, never an exception', async () => {
    const { deps, logs } = harness();
    deps.secret.mockRejectedValue(new Error('AccessDenied'));
    const res = await handleWebhook(request('bitbucket'), deps);
    expect(res).toEqual({
      statusCode: 500,
      body: { message: 'internal error', provider: 'bitbucket' },
    });
    expect(logs).toEqual([
      {
        event: 'webhook.failed',
        fields: {
          statusCode: 500,
          message: 'internal error',
          provider: 'bitbucket',
          error: 'AccessDenied',
        },
      },
    ]);
  });
});
