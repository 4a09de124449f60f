import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  handleWebhook,
  type Provider,
  type PullRequestEvent,
  type RouteCandidate,
  type WebhookDeps,
} from '../../shared/webhooks/index.ts';
import { githubExample } from '../fixtures/webhooks/github-examples.ts';
import {
  fixture,
  providerRequest,
  SECRETS,
  without,
  type Json,
} from '../fixtures/webhooks/requests.ts';

const DELIVERY = '72d3162e-cc78-11e3-81ab-4c9367dc0958';

const REGISTRY: RouteCandidate[] = [
  {
    name: 'hello',
    repoURL: 'https://github.com/Codertocat/Hello-World',
    targetRevision: 'master',
    path: 'apps/hello',
  },
  {
    name: 'awesome',
    repoURL: 'http://example.com/awesome_space/awesome_project.git',
    targetRevision: 'master',
    path: '.',
  },
  {
    name: 'bb',
    repoURL: 'https://bitbucket.org/user_name/repo_name',
    targetRevision: 'HEAD',
    path: 'deploy',
  },
  {
    name: 'prod',
    repoURL: 'https://gitea.example.com/acme/platform-config',
    targetRevision: 'main',
    path: 'envs/prod',
  },
];

/** Each provider's pull request opened, with its event header and number. */
const OPENED: Record<Provider, { payload: () => Json; event: string; number: number }> = {
  github: {
    payload: () => githubExample('pull_request', 'opened'),
    event: 'pull_request',
    number: 2,
  },
  gitlab: {
    payload: () => fixture('gitlab-merge-request'),
    event: 'Merge Request Hook',
    number: 1,
  },
  bitbucket: {
    payload: () => fixture('bitbucket-pullrequest'),
    event: 'pullrequest:created',
    number: 1,
  },
  gitea: { payload: () => fixture('gitea-pull-request'), event: 'pull_request', number: 7 },
};

const PROVIDERS = ['github', 'gitlab', 'bitbucket', 'gitea'] as const;

function harness(options: { previewForks?: boolean } = {}) {
  const recorded = new Set<string>();
  const previews: PullRequestEvent[] = [];
  const deps = {
    secret: vi.fn(async (provider: Provider): Promise<string | undefined> => SECRETS[provider]),
    wasDelivered: vi.fn(async (provider: Provider, key: string) =>
      recorded.has(`${provider}/${key}`),
    ),
    recordDelivered: vi.fn(async (provider: Provider, key: string) => {
      recorded.add(`${provider}/${key}`);
    }),
    applications: vi.fn(async () => REGISTRY),
    enqueue: vi.fn(async () => {}),
    enqueuePreview: vi.fn(async (pr: PullRequestEvent) => {
      previews.push(pr);
    }),
    ...options,
  } satisfies WebhookDeps;
  return { deps, previews, recorded };
}

const opened = (provider: Provider, payload?: Json, options: { secret?: string } = {}) =>
  providerRequest(provider, payload ?? OPENED[provider].payload(), {
    event: OPENED[provider].event,
    ...options,
  });

afterEach(() => vi.restoreAllMocks());

describe('handleWebhook: pull requests', () => {
  it.each(PROVIDERS)('%s: an opened pull request → 202, one preview enqueued', async (provider) => {
    const { deps, previews } = harness();
    const { number } = OPENED[provider];
    expect(await handleWebhook(opened(provider), deps)).toEqual({
      statusCode: 202,
      body: {
        message: `preview enqueued for pull request #${number}`,
        provider,
        deliveryId: DELIVERY,
        pullRequest: number,
      },
    });
    expect(previews).toHaveLength(1);
    expect(previews[0]).toMatchObject({ provider, number, action: 'opened', fork: false });
    expect(deps.enqueue).not.toHaveBeenCalled();
    expect(deps.recordDelivered).toHaveBeenCalledTimes(1);
  });

  it('Gitea: new commits (X-Gitea-Event pull_request, type pull_request_sync) → a preview of the new head', async () => {
    const { deps, previews } = harness();
    const payload = { ...fixture('gitea-pull-request'), action: 'synchronized' };
    const req = opened('gitea', payload);
    req.headers['X-Gitea-Event-Type'] = 'pull_request_sync';
    expect((await handleWebhook(req, deps)).statusCode).toBe(202);
    expect(previews[0]).toMatchObject({ action: 'synchronize', number: 7 });
  });

  it.each(PROVIDERS)(
    '%s: a wrong or missing signature → 401 before the body is parsed; nothing read, enqueued or recorded',
    async (provider) => {
      const { deps } = harness();
      const wrong = opened(provider, undefined, { secret: 'guess' });
      const missing = opened(provider);
      for (const name of ['X-Hub-Signature-256', 'X-Gitlab-Token', 'X-Hub-Signature']) {
        delete missing.headers[name];
      }
      delete missing.headers['X-Gitea-Signature'];
      const parse = vi.spyOn(JSON, 'parse');
      const answers = [await handleWebhook(wrong, deps), await handleWebhook(missing, deps)];
      const parseCalls = parse.mock.calls.length;
      parse.mockRestore();
      expect(answers.map((a) => a.statusCode)).toEqual([401, 401]);
      expect(parseCalls).toBe(0);
      expect(deps.wasDelivered).not.toHaveBeenCalled();
      expect(deps.enqueuePreview).not.toHaveBeenCalled();
      expect(deps.recordDelivered).not.toHaveBeenCalled();
    },
  );

  it('a malformed payload → 400 naming the field, nothing recorded', async () => {
    const { deps } = harness();
    const noNumber = without(githubExample('pull_request', 'opened'), 'number');
    expect(await handleWebhook(opened('github', noNumber), deps)).toEqual({
      statusCode: 400,
      body: {
        message: 'invalid payload: number: Invalid input: expected number, received undefined',
        provider: 'github',
        deliveryId: DELIVERY,
      },
    });
    const badHash = fixture('bitbucket-pullrequest') as { pullrequest: Json };
    badHash.pullrequest.source = { branch: { name: 'x' }, commit: { hash: 'zzzzzzzzzzzz' } };
    const res = await handleWebhook(opened('bitbucket', badHash as Json), deps);
    expect(res.statusCode).toBe(400);
    expect(res.body.message).toBe(
      'invalid payload: pullrequest.source.commit.hash: expected a commit hash of 12 to 40 hex digits',
    );
    expect(deps.wasDelivered).not.toHaveBeenCalled();
    expect(deps.recordDelivered).not.toHaveBeenCalled();
  });
});

describe('handleWebhook: pull-request events that ask for no preview', () => {
  const update = (attributes: Json) => {
    const payload = fixture('gitlab-merge-request') as { object_attributes: Json };
    Object.assign(payload.object_attributes, attributes);
    return payload as Json;
  };

  it.each([
    [
      'GitHub closed',
      () => opened('github', githubExample('pull_request', 'closed')),
      'pull request action closed',
    ],
    [
      'GitHub labeled',
      () => opened('github', githubExample('pull_request', 'labeled')),
      'pull request action labeled',
    ],
    [
      'a GitHub review',
      () => providerRequest('github', {}, { event: 'pull_request_review' }),
      'pull_request_review event',
    ],
    [
      'a GitLab update without new commits',
      () => opened('gitlab', update({ action: 'update' })),
      'merge request update without new commits',
    ],
    [
      'a GitLab merge',
      () => opened('gitlab', update({ action: 'merge' })),
      'merge request action merge',
    ],
    [
      'a Bitbucket merge',
      () => providerRequest('bitbucket', {}, { event: 'pullrequest:fulfilled' }),
      'pullrequest:fulfilled event',
    ],
    [
      'a Gitea label change',
      () => opened('gitea', { ...fixture('gitea-pull-request'), action: 'label_updated' }),
      'pull request action label_updated',
    ],
    [
      'a Gitea approval',
      () => providerRequest('gitea', {}, { event: 'pull_request_approved' }),
      'pull_request_approved event',
    ],
  ])('%s → 202 with the reason, the store untouched', async (_, req, reason) => {
    const { deps } = harness();
    const res = await handleWebhook(req(), deps);
    expect(res.statusCode).toBe(202);
    expect(res.body.message).toBe(`ignored: ${reason}`);
    expect(deps.wasDelivered).not.toHaveBeenCalled();
    expect(deps.recordDelivered).not.toHaveBeenCalled();
    expect(deps.enqueuePreview).not.toHaveBeenCalled();
  });

  const fork = () => {
    const payload = githubExample('pull_request', 'opened') as {
      pull_request: { head: { repo: Json } };
    };
    payload.pull_request.head.repo = { full_name: 'someone/Hello-World' };
    return opened('github', payload as Json);
  };

  it('a fork → 202 with the reason while previews of forks are off (the default)', async () => {
    const { deps } = harness();
    expect(await handleWebhook(fork(), deps)).toEqual({
      statusCode: 202,
      body: {
        message: 'ignored: pull request #2 comes from a fork (previews of forks are off)',
        provider: 'github',
        deliveryId: DELIVERY,
        pullRequest: 2,
      },
    });
    expect(deps.wasDelivered).not.toHaveBeenCalled();
    expect(deps.enqueuePreview).not.toHaveBeenCalled();
  });

  it('previews off (no forge credentials) → 202 with the reason, nothing read or recorded', async () => {
    const { deps } = harness();
    const { enqueuePreview: _off, ...withoutPreviews } = deps;
    expect(await handleWebhook(opened('gitea'), withoutPreviews)).toMatchObject({
      statusCode: 202,
      body: {
        message: 'ignored: pull-request previews are off (no forge credentials are configured)',
      },
    });
    expect(deps.wasDelivered).not.toHaveBeenCalled();
    expect(deps.recordDelivered).not.toHaveBeenCalled();
  });

  it('a fork is previewed once previews of forks are on', async () => {
    const { deps, previews } = harness({ previewForks: true });
    expect((await handleWebhook(fork(), deps)).body.message).toBe(
      'preview enqueued for pull request #2',
    );
    expect(previews[0]).toMatchObject({ fork: true, headRef: 'refs/pull/2/head' });
  });

  it('no application follows the base branch → 202, nothing enqueued, recorded like a push', async () => {
    const { deps } = harness();
    const payload = fixture('gitea-pull-request') as { pull_request: { base: Json } };
    payload.pull_request.base.ref = 'develop';
    const res = await handleWebhook(opened('gitea', payload as Json), deps);
    expect(res).toEqual({
      statusCode: 202,
      body: {
        message: 'no application follows develop',
        provider: 'gitea',
        deliveryId: DELIVERY,
        pullRequest: 7,
      },
    });
    expect(deps.enqueuePreview).not.toHaveBeenCalled();
    expect((await handleWebhook(opened('gitea', payload as Json), deps)).statusCode).toBe(200);
  });
});

describe('handleWebhook: pull-request deduplication', () => {
  it.each(PROVIDERS)(
    '%s: a redelivery, or a replay under a new id → 200, previewed once',
    async (provider) => {
      const { deps } = harness();
      expect((await handleWebhook(opened(provider), deps)).statusCode).toBe(202);
      expect(await handleWebhook(opened(provider), deps)).toEqual({
        statusCode: 200,
        body: {
          message: 'duplicate delivery, ignored',
          provider,
          deliveryId: DELIVERY,
          pullRequest: OPENED[provider].number,
        },
      });
      const replay = providerRequest(provider, OPENED[provider].payload(), {
        event: OPENED[provider].event,
        deliveryId: 'fresh-id',
      });
      expect((await handleWebhook(replay, deps)).statusCode).toBe(200);
      expect(deps.enqueuePreview).toHaveBeenCalledTimes(1);
    },
  );

  it('records only after the enqueue', async () => {
    const { deps } = harness();
    await handleWebhook(opened('gitlab'), deps);
    const [enqueued] = deps.enqueuePreview.mock.invocationCallOrder;
    const [recorded] = deps.recordDelivered.mock.invocationCallOrder;
    expect(enqueued).toBeLessThan(recorded!);
  });

  it('the enqueue fails → 500, nothing recorded; the redelivery is previewed, the one after is a duplicate', async () => {
    const { deps, previews, recorded } = harness();
    deps.enqueuePreview.mockRejectedValueOnce(new Error('SQS unavailable'));
    expect(await handleWebhook(opened('github'), deps)).toEqual({
      statusCode: 500,
      body: {
        message: 'could not enqueue the preview',
        provider: 'github',
        deliveryId: DELIVERY,
        pullRequest: 2,
      },
    });
    expect(recorded.size).toBe(0);
    expect((await handleWebhook(opened('github'), deps)).statusCode).toBe(202);
    expect((await handleWebhook(opened('github'), deps)).statusCode).toBe(200);
    expect(previews).toHaveLength(1);
  });

  it('the registry fails → 500, nothing recorded', async () => {
    const { deps } = harness();
    deps.applications.mockRejectedValueOnce(new Error('throttled'));
    expect((await handleWebhook(opened('bitbucket'), deps)).statusCode).toBe(500);
    expect(deps.recordDelivered).not.toHaveBeenCalled();
    expect(deps.enqueuePreview).not.toHaveBeenCalled();
  });
});
