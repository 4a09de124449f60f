import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  PreviewMessage,
  QueueMessage,
  type QueueMessageInput,
} from '../../shared/queue/message.ts';
import { webhookDeps } from '../../shared/runtime/webhook-deps.ts';
import { createStateTable } from '../../shared/state/client.ts';
import {
  handleWebhook,
  type Provider,
  type PullRequestEvent,
  type RouteCandidate,
} from '../../shared/webhooks/index.ts';
import { githubExample } from '../fixtures/webhooks/github-examples.ts';
import { fixture, providerRequest, type Json } from '../fixtures/webhooks/requests.ts';

function deps(options: { previews?: boolean; previewForks?: boolean } = {}) {
  const sent: QueueMessageInput[] = [];
  const made = webhookDeps({
    // Never reached: only the queue side is exercised here.
    table: createStateTable({ tableName: 'unused' }),
    queue: {
      send: async (messages) => {
        sent.push(...messages.map((m) => m.message));
      },
    },
    secret: async () => 'secret',
    ...options,
  });
  return { made, sent };
}

afterEach(() => vi.useRealTimers());

describe('webhookDeps: previews', () => {
  it('enqueuePreview sends one preview message: the event, its kind and the time', async () => {
    vi.useFakeTimers({ now: 1_796_000_000_000 });
    const { made, sent } = deps();
    const pr: PullRequestEvent = {
      provider: 'bitbucket',
      deliveryId: 'd-1',
      action: 'synchronize',
      repoURLs: ['https://bitbucket.org/acme/platform-config'],
      number: 12,
      headSha: 'd3022fc0ca3d',
      headRef: 'refs/heads/feature',
      baseBranch: 'main',
      fork: false,
    };
    await made.enqueuePreview!(pr);
    expect(sent).toEqual([{ kind: 'preview', ...pr, enqueuedAt: 1_796_000_000_000 }]);
    expect(QueueMessage.parse(sent[0])).toEqual(sent[0]);
  });

  it('previews are off, and pull requests ignored, when asked (no forge credentials)', () => {
    expect(deps({ previews: false }).made.enqueuePreview).toBeUndefined();
    expect(deps().made.enqueuePreview).toBeTypeOf('function');
  });

  it('previews of forks are off unless asked for', () => {
    expect(deps().made.previewForks).toBe(false);
    expect(deps({ previewForks: true }).made.previewForks).toBe(true);
  });

  /** One application per provider, following the base branch of that provider's payload. */
  const registry: Record<Provider, RouteCandidate> = {
    github: {
      name: 'a',
      repoURL: 'https://github.com/Codertocat/Hello-World',
      targetRevision: 'master',
      path: '.',
    },
    gitlab: {
      name: 'a',
      repoURL: 'http://example.com/awesome_space/awesome_project',
      targetRevision: 'master',
      path: '.',
    },
    bitbucket: {
      name: 'a',
      repoURL: 'https://bitbucket.org/user_name/repo_name',
      targetRevision: 'master',
      path: '.',
    },
    gitea: {
      name: 'a',
      repoURL: 'https://gitea.example.com/acme/platform-config',
      targetRevision: 'main',
      path: '.',
    },
  };
  const payloads: Record<Provider, [Json, string]> = {
    github: [githubExample('pull_request', 'opened'), 'pull_request'],
    gitlab: [fixture('gitlab-merge-request'), 'Merge Request Hook'],
    bitbucket: [fixture('bitbucket-pullrequest'), 'pullrequest:created'],
    gitea: [fixture('gitea-pull-request'), 'pull_request'],
  };

  it.each(['github', 'gitlab', 'bitbucket', 'gitea'] as const)(
    '%s: what the webhook parses is a valid preview message on the queue',
    async (provider) => {
      const { made, sent } = deps();
      made.applications = async () => [registry[provider]];
      made.wasDelivered = async () => false;
      made.recordDelivered = async () => {};
      const [payload, event] = payloads[provider];
      const res = await handleWebhook(
        providerRequest(provider, payload, { event, secret: 'secret' }),
        made,
      );
      expect(res.statusCode).toBe(202);
      expect(sent).toHaveLength(1);
      expect(PreviewMessage.safeParse(sent[0]).error).toBeUndefined();
    },
  );
});
