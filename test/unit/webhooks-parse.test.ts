import { describe, expect, it } from 'vitest';
import {
  parseBitbucket,
  parseGitea,
  parseGithub,
  parseGitlab,
  PayloadError,
  toHeaders,
} from '../../shared/webhooks/index.ts';
import { fixture, providerRequest, without, type Json } from '../fixtures/webhooks/requests.ts';

const ZERO = '0000000000000000000000000000000000000000';
const DELIVERY = '72d3162e-cc78-11e3-81ab-4c9367dc0958';

function parsed<T>(
  parse: (headers: Headers, body: Buffer) => T,
  provider: Parameters<typeof providerRequest>[0],
  body: Json | Buffer,
  event?: string,
): T {
  const req = providerRequest(provider, body, event === undefined ? {} : { event });
  return parse(toHeaders(req.headers), req.body);
}

function payloadError(run: () => unknown): PayloadError {
  try {
    run();
  } catch (err) {
    if (err instanceof PayloadError) return err;
    throw err;
  }
  throw new Error('expected a PayloadError');
}

describe('parseGithub', () => {
  it('reads a branch push: every URL form, default branch, head commit, changed files', () => {
    expect(parsed(parseGithub, 'github', fixture('github-push'))).toEqual({
      provider: 'github',
      deliveryId: DELIVERY,
      repoURLs: [
        'https://github.com/Acme/platform-config',
        'https://github.com/Acme/platform-config.git',
        'git@github.com:Acme/platform-config.git',
        'git://github.com/Acme/platform-config.git',
      ],
      ref: { type: 'branch', name: 'main' },
      defaultBranch: 'main',
      after: '0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c',
      changedPaths: [
        'apps/api/configmap.yaml',
        'apps/api/old-secret.yaml',
        'apps/web/deployment.yaml',
      ],
    });
  });

  it('reads the form-encoded variant (GitHub’s default content type)', () => {
    const payload = JSON.stringify(fixture('github-push'));
    const body = Buffer.from(new URLSearchParams({ payload }).toString());
    const req = providerRequest('github', body);
    req.headers['Content-Type'] = 'application/x-www-form-urlencoded';
    const event = parseGithub(toHeaders(req.headers), req.body);
    expect('ignored' in event ? event : event.ref).toEqual({ type: 'branch', name: 'main' });
  });

  it('ignores ping and other events', () => {
    expect(parsed(parseGithub, 'github', fixture('github-ping'), 'ping')).toEqual({
      ignored: 'ping',
    });
    expect(parsed(parseGithub, 'github', {}, 'issues')).toEqual({ ignored: 'issues event' });
  });

  it('ignores a branch deletion and refs that are neither branches nor tags', () => {
    const deleted = { ...fixture('github-push'), deleted: true, after: ZERO, commits: [] };
    expect(parsed(parseGithub, 'github', deleted)).toEqual({ ignored: 'branch main deleted' });
    const notes = { ...fixture('github-push'), ref: 'refs/notes/commits' };
    expect(parsed(parseGithub, 'github', notes)).toEqual({
      ignored: 'ref refs/notes/commits is neither a branch nor a tag',
    });
  });

  it.each([
    ['a new branch', { created: true, before: ZERO }],
    ['a force push', { forced: true }],
    ['no commits listed', { commits: [] }],
    ['a commit without file lists', { commits: [{ id: 'abc', message: 'x' }] }],
    [
      'a list at the 2,048-commit cap',
      {
        commits: Array.from({ length: 2048 }, () => ({ added: ['a'], modified: [], removed: [] })),
      },
    ],
  ])('leaves changedPaths unknown for %s', (_, change) => {
    const event = parsed(parseGithub, 'github', { ...fixture('github-push'), ...change });
    expect(event).toHaveProperty('ref');
    expect(event).not.toHaveProperty('changedPaths');
  });

  it('keeps changedPaths for a long list below the cap', () => {
    const commits = Array.from({ length: 25 }, (_, i) => ({
      added: [`apps/a${i}/x.yaml`],
      modified: [],
      removed: [],
    }));
    const event = parsed(parseGithub, 'github', { ...fixture('github-push'), commits });
    expect('changedPaths' in event && event.changedPaths).toHaveLength(25);
  });

  it('reads an annotated tag push: the commit from head_commit, no paths', () => {
    const tag = {
      ...fixture('github-push'),
      ref: 'refs/tags/v2.0.0',
      before: ZERO,
      created: true,
      after: 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678',
    };
    expect(parsed(parseGithub, 'github', tag)).toMatchObject({
      ref: { type: 'tag', name: 'v2.0.0' },
      after: '0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c',
    });
    expect(parsed(parseGithub, 'github', tag)).not.toHaveProperty('changedPaths');
  });

  it('names the missing field in its error', () => {
    const noRepo = without(fixture('github-push'), 'repository');
    expect(payloadError(() => parsed(parseGithub, 'github', noRepo)).message).toBe(
      'invalid payload: repository: Invalid input: expected object, received undefined',
    );
    const noUrls = { ...fixture('github-push'), repository: { default_branch: 'main' } };
    expect(payloadError(() => parsed(parseGithub, 'github', noUrls)).problems).toEqual([
      'repository: no URL in the payload',
    ]);
  });

  it('rejects bodies that are not JSON, or not UTF-8', () => {
    expect(
      payloadError(() => parsed(parseGithub, 'github', Buffer.from('ref=main'))).message,
    ).toMatch(/^invalid payload: body is not JSON/);
    expect(
      payloadError(() => parsed(parseGithub, 'github', Buffer.from([0x7b, 0xff, 0x7d]))).problems,
    ).toEqual(['body is not UTF-8']);
  });

  it('requires a usable delivery id for a push', () => {
    const req = providerRequest('github', fixture('github-push'));
    delete req.headers['X-GitHub-Delivery'];
    expect(payloadError(() => parseGithub(toHeaders(req.headers), req.body)).message).toMatch(
      /delivery id header \(x-github-delivery\)/,
    );
    const long = providerRequest('github', fixture('github-push'), { deliveryId: 'x'.repeat(201) });
    expect(() => parseGithub(toHeaders(long.headers), long.body)).toThrow(PayloadError);
    const space = providerRequest('github', fixture('github-push'), { deliveryId: 'a b' });
    expect(() => parseGithub(toHeaders(space.headers), space.body)).toThrow(PayloadError);
  });
});

describe('parseGitlab', () => {
  it('reads a push: project and repository URLs, checkout_sha, complete file list', () => {
    expect(parsed(parseGitlab, 'gitlab', fixture('gitlab-push'))).toEqual({
      provider: 'gitlab',
      deliveryId: DELIVERY,
      repoURLs: [
        'https://gitlab.example.com/infra/platform-config.git',
        'git@gitlab.example.com:infra/platform-config.git',
        'https://gitlab.example.com/infra/platform-config',
      ],
      ref: { type: 'branch', name: 'main' },
      defaultBranch: 'main',
      after: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7',
      changedPaths: ['apps/worker/deployment.yaml', 'docs/runbook.md'],
    });
  });

  it('leaves changedPaths unknown when GitLab cut the commit list (total > listed)', () => {
    const push = { ...fixture('gitlab-push'), total_commits_count: 21 };
    expect(parsed(parseGitlab, 'gitlab', push)).not.toHaveProperty('changedPaths');
  });

  it('reads a tag push: the commit from checkout_sha, not the tag object', () => {
    const event = parsed(parseGitlab, 'gitlab', fixture('gitlab-tag-push'), 'Tag Push Hook');
    expect(event).toMatchObject({
      ref: { type: 'tag', name: 'v1.4.0' },
      after: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7',
    });
    expect(event).not.toHaveProperty('changedPaths');
  });

  it('prefers Idempotency-Key (stable across retries) over X-Gitlab-Event-UUID', () => {
    const req = providerRequest('gitlab', fixture('gitlab-push'), { deliveryId: 'idem-1' });
    expect(parseGitlab(toHeaders(req.headers), req.body)).toHaveProperty('deliveryId', 'idem-1');
    delete req.headers['Idempotency-Key'];
    expect(parseGitlab(toHeaders(req.headers), req.body)).toHaveProperty(
      'deliveryId',
      'event-idem-1',
    );
  });

  it('ignores deletions and non-push hooks', () => {
    const deleted = { ...fixture('gitlab-push'), after: ZERO, checkout_sha: null, commits: [] };
    expect(parsed(parseGitlab, 'gitlab', deleted)).toEqual({ ignored: 'branch main deleted' });
    expect(parsed(parseGitlab, 'gitlab', {}, 'Merge Request Hook')).toEqual({
      ignored: 'Merge Request Hook event',
    });
  });

  it('names a missing ref', () => {
    const noRef = without(fixture('gitlab-push'), 'ref');
    expect(payloadError(() => parsed(parseGitlab, 'gitlab', noRef)).problems).toEqual([
      'ref: Invalid input: expected string, received undefined',
    ]);
  });
});

describe('parseBitbucket', () => {
  it('reads repo:push: web URL, new branch head, no file list', () => {
    expect(parsed(parseBitbucket, 'bitbucket', fixture('bitbucket-push'))).toEqual([
      {
        provider: 'bitbucket',
        deliveryId: DELIVERY,
        repoURLs: ['https://bitbucket.org/acme/platform-config'],
        ref: { type: 'branch', name: 'main' },
        after: '3d1b43ac4b3d5f2c9a6c70e5b0f02a1b9e5c7d21',
      },
    ]);
  });

  it('returns one event per updated ref and skips deleted ones', () => {
    const payload = fixture('bitbucket-push') as { push: { changes: Json[] } };
    const [main] = payload.push.changes;
    payload.push.changes = [
      main!,
      { ...main, new: null, closed: true },
      {
        ...main,
        old: null,
        created: true,
        new: { type: 'tag', name: 'v3.1.0', target: { type: 'commit', hash: 'c0ffee' } },
      },
    ];
    const events = parsed(parseBitbucket, 'bitbucket', payload as Json);
    expect(Array.isArray(events) && events.map((e) => e.ref)).toEqual([
      { type: 'branch', name: 'main' },
      { type: 'tag', name: 'v3.1.0' },
    ]);
  });

  it('reads the main branch when the repository carries it', () => {
    const payload = fixture('bitbucket-push') as { repository: Json };
    payload.repository.mainbranch = { type: 'branch', name: 'trunk' };
    const events = parsed(parseBitbucket, 'bitbucket', payload as Json);
    expect(Array.isArray(events) && events[0]?.defaultBranch).toBe('trunk');
  });

  it('ignores a push that only deletes, and other event keys', () => {
    const payload = fixture('bitbucket-push') as { push: { changes: Json[] } };
    payload.push.changes = payload.push.changes.map((c) => ({ ...c, new: null, closed: true }));
    expect(parsed(parseBitbucket, 'bitbucket', payload as Json)).toEqual({
      ignored: 'no branch or tag updated (deletions only)',
    });
    expect(parsed(parseBitbucket, 'bitbucket', {}, 'pullrequest:created')).toEqual({
      ignored: 'pullrequest:created event',
    });
  });

  it('does not take X-Hook-UUID (the webhook’s id) for a delivery id', () => {
    const req = providerRequest('bitbucket', fixture('bitbucket-push'));
    delete req.headers['X-Request-UUID'];
    expect(() => parseBitbucket(toHeaders(req.headers), req.body)).toThrow(
      /delivery id header \(x-request-uuid\)/,
    );
  });
});

describe('parseGitea', () => {
  it('reads a push: URLs incl. ssh:// with port, null file lists as empty', () => {
    expect(parsed(parseGitea, 'gitea', fixture('gitea-push'))).toEqual({
      provider: 'gitea',
      deliveryId: DELIVERY,
      repoURLs: [
        'https://gitea.example.com/acme/platform-config',
        'https://gitea.example.com/acme/platform-config.git',
        'ssh://git@gitea.example.com:2222/acme/platform-config.git',
      ],
      ref: { type: 'branch', name: 'develop' },
      defaultBranch: 'main',
      after: 'bffeb74224043ba2feb48d137756c8a9331c449a',
      changedPaths: ['envs/staging/ingress.yaml'],
    });
  });

  it('leaves changedPaths unknown when Gitea listed fewer commits than it counted', () => {
    const push = { ...fixture('gitea-push'), total_commits: 6 };
    expect(parsed(parseGitea, 'gitea', push)).not.toHaveProperty('changedPaths');
    const noTotal = without(fixture('gitea-push'), 'total_commits');
    expect(parsed(parseGitea, 'gitea', noTotal)).not.toHaveProperty('changedPaths');
  });

  it('ignores create/delete events and deletions', () => {
    expect(parsed(parseGitea, 'gitea', {}, 'create')).toEqual({ ignored: 'create event' });
    const deleted = { ...fixture('gitea-push'), after: ZERO };
    expect(parsed(parseGitea, 'gitea', deleted)).toEqual({ ignored: 'branch develop deleted' });
  });
});
