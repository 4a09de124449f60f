import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import {
  handleWebhook,
  type Provider,
  type PullRequestEvent,
  type PushEvent,
  type RouteCandidate,
  type WebhookDeps,
} from '../../shared/webhooks/index.ts';
import { SECRETS } from '../fixtures/webhooks/requests.ts';

/** Deliveries a real Gitea 1.27.3 sent (test/integration/harness-gitea.test.ts records them). */
const CAPTURES = new URL('../fixtures/webhooks/gitea-1.27/', import.meta.url);

interface PullRequestBody {
  number: number;
  pull_request: { head: { sha: string }; base: { repo: { html_url: string } } };
}

function captured(name: string) {
  const body = readFileSync(new URL(`${name}.body`, CAPTURES));
  const headers = JSON.parse(
    readFileSync(new URL(`${name}.headers.json`, CAPTURES), 'utf8'),
  ) as Record<string, string>;
  return { request: { headers, body }, json: JSON.parse(body.toString('utf8')) as unknown };
}

/** Every application follows main of the repository it is registered for. */
function harness(repoURLs: string[], options: { previewForks?: boolean } = {}) {
  const previews: PullRequestEvent[] = [];
  const pushes: PushEvent[] = [];
  const registry: RouteCandidate[] = repoURLs.map((repoURL, i) => ({
    name: `app-${i}`,
    repoURL,
    targetRevision: 'main',
    path: '.',
  }));
  const deps: WebhookDeps = {
    secret: async (provider: Provider) => SECRETS[provider],
    wasDelivered: async () => false,
    recordDelivered: vi.fn(async () => {}),
    applications: async () => registry,
    enqueue: async (_apps, push) => {
      pushes.push(push);
    },
    enqueuePreview: async (pr) => {
      previews.push(pr);
    },
    ...options,
  };
  return { deps, previews, pushes };
}

describe('real Gitea 1.27.3 deliveries (captured)', () => {
  it.each([
    ['pull-request-opened', 'opened'],
    ['pull-request-synchronized', 'synchronize'],
  ] as const)('%s: signature verified, one preview of the head (%s)', async (name, action) => {
    const { request, json } = captured(name);
    const body = json as PullRequestBody;
    const base = body.pull_request.base.repo.html_url;
    const { deps, previews } = harness([base]);
    expect(await handleWebhook(request, deps)).toEqual({
      statusCode: 202,
      body: {
        message: `preview enqueued for pull request #${body.number}`,
        provider: 'gitea',
        deliveryId: request.headers['X-Gitea-Delivery'],
        pullRequest: body.number,
      },
    });
    expect(previews).toEqual([
      {
        provider: 'gitea',
        deliveryId: request.headers['X-Gitea-Delivery'],
        action,
        repoURLs: [base, `${base}.git`, expect.stringMatching(/^git@/)],
        number: body.number,
        headSha: body.pull_request.head.sha,
        headRef: `refs/pull/${body.number}/head`,
        baseBranch: 'main',
        defaultBranch: 'main',
        fork: false,
      },
    ]);
    expect(previews[0]!.headSha).toMatch(/^[0-9a-f]{40}$/);
  });

  it('pull-request-fork-opened: a fork, ignored while previews of forks are off, previewed once on', async () => {
    const { request, json } = captured('pull-request-fork-opened');
    const body = json as PullRequestBody;
    const base = body.pull_request.base.repo.html_url;
    const off = harness([base]);
    expect((await handleWebhook(request, off.deps)).body.message).toBe(
      `ignored: pull request #${body.number} comes from a fork (previews of forks are off)`,
    );
    const on = harness([base], { previewForks: true });
    expect((await handleWebhook(request, on.deps)).statusCode).toBe(202);
    expect(on.previews).toMatchObject([{ fork: true, headRef: `refs/pull/${body.number}/head` }]);
  });

  it('push: still routed as a push beside the pull-request events', async () => {
    const { request, json } = captured('push');
    const repo = (json as { repository: { html_url: string } }).repository.html_url;
    const { deps, previews, pushes } = harness([repo]);
    expect((await handleWebhook(request, deps)).body.message).toBe('enqueued 1 application');
    expect(pushes).toMatchObject([
      { ref: { type: 'branch', name: 'main' }, changedPaths: ['app/config.yaml'] },
    ]);
    expect(previews).toEqual([]);
  });
});
