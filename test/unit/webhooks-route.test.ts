import { describe, expect, it } from 'vitest';
import {
  affectedApplications,
  previewCandidates,
  type PullRequestEvent,
  type PushEvent,
  type RouteCandidate,
} from '../../shared/webhooks/index.ts';

const SHA = '0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c';

function push(overrides: Partial<PushEvent> = {}): PushEvent {
  return {
    provider: 'github',
    deliveryId: 'd-1',
    repoURLs: [
      'https://github.com/Acme/platform-config',
      'git@github.com:Acme/platform-config.git',
    ],
    ref: { type: 'branch', name: 'main' },
    defaultBranch: 'main',
    after: SHA,
    ...overrides,
  };
}

function app(name: string, overrides: Partial<RouteCandidate> = {}): RouteCandidate {
  return {
    name,
    repoURL: 'https://github.com/acme/platform-config',
    targetRevision: 'main',
    path: '.',
    ...overrides,
  };
}

describe('affectedApplications: repository', () => {
  it.each([
    'https://github.com/acme/platform-config',
    'https://github.com/acme/platform-config.git',
    'https://GitHub.com/ACME/Platform-Config.git',
    'https://github.com/acme/platform-config/',
    'http://github.com:443/acme/platform-config',
  ])('matches the app declared as %s', (repoURL) => {
    expect(affectedApplications(push(), [app('a', { repoURL })])).toEqual(['a']);
  });

  it('matches a payload that only gives the scp-like SSH form', () => {
    const ssh = push({ repoURLs: ['git@github.com:Acme/platform-config.git'] });
    expect(affectedApplications(ssh, [app('a')])).toEqual(['a']);
  });

  it('does not match another repository, owner or host', () => {
    const apps = [
      app('other-repo', { repoURL: 'https://github.com/acme/platform-config-2' }),
      app('other-owner', { repoURL: 'https://github.com/umbrella/platform-config' }),
      app('other-host', { repoURL: 'https://gitlab.com/acme/platform-config' }),
      app('nested', { repoURL: 'https://github.com/acme/platform-config/sub' }),
    ];
    expect(affectedApplications(push(), apps)).toEqual([]);
  });

  it('skips URLs it cannot parse instead of throwing', () => {
    const odd = push({ repoURLs: ['not a url', 'https://github.com/Acme/platform-config'] });
    expect(affectedApplications(odd, [app('a'), app('b', { repoURL: '::' })])).toEqual(['a']);
  });
});

describe('affectedApplications: revision', () => {
  const apps = [
    app('by-name', { targetRevision: 'main' }),
    app('by-ref', { targetRevision: 'refs/heads/main' }),
    app('head', { targetRevision: 'HEAD' }),
    app('other-branch', { targetRevision: 'develop' }),
    app('pinned', { targetRevision: SHA }),
    app('tag', { targetRevision: 'v1.2.0' }),
    app('tag-ref', { targetRevision: 'refs/tags/v1.2.0' }),
    app('branch-ref-named-like-tag', { targetRevision: 'refs/heads/v1.2.0' }),
  ];

  it('a push to the default branch: name, full ref and HEAD follow it; a pinned SHA never does', () => {
    expect(affectedApplications(push(), apps)).toEqual(['by-name', 'by-ref', 'head']);
  });

  it('a push to another branch: HEAD does not follow it', () => {
    const develop = push({ ref: { type: 'branch', name: 'develop' } });
    expect(affectedApplications(develop, apps)).toEqual(['other-branch']);
  });

  it('HEAD follows every branch when the payload does not name the default branch', () => {
    const noDefault = push({ ref: { type: 'branch', name: 'develop' }, defaultBranch: undefined });
    expect(affectedApplications(noDefault, apps)).toEqual(['head', 'other-branch']);
  });

  it('a tag push: the tag name or refs/tags/ form, never HEAD or a refs/heads/ form', () => {
    const tag = push({ ref: { type: 'tag', name: 'v1.2.0' } });
    expect(affectedApplications(tag, apps)).toEqual(['tag', 'tag-ref']);
  });

  it('a branch pushed with the same name as a pinned SHA does not move the pin', () => {
    const weird = push({ ref: { type: 'branch', name: SHA } });
    expect(affectedApplications(weird, [app('pinned', { targetRevision: SHA })])).toEqual([]);
  });
});

describe('affectedApplications: changed paths', () => {
  const apps = [
    app('root', { path: '.' }),
    app('web', { path: 'apps/web' }),
    app('web2', { path: 'apps/web2' }),
    app('api', { path: './apps/api/' }),
    app('apps', { path: 'apps' }),
    app('docs', { path: 'docs' }),
  ];

  it('compares path segments: apps/web does not contain apps/web2/x', () => {
    const p = push({ changedPaths: ['apps/web2/deployment.yaml'] });
    expect(affectedApplications(p, apps)).toEqual(['root', 'web2', 'apps']);
  });

  it('normalizes the application path (./apps/api/ is apps/api)', () => {
    const p = push({ changedPaths: ['apps/api/configmap.yaml'] });
    expect(affectedApplications(p, apps)).toEqual(['root', 'api', 'apps']);
  });

  it('a file named like the directory counts (a directory replaced by a file)', () => {
    const p = push({ changedPaths: ['docs'] });
    expect(affectedApplications(p, apps)).toEqual(['root', 'docs']);
  });

  it('files outside every app directory touch only the root app', () => {
    const p = push({ changedPaths: ['README.md', 'apps-old/x.yaml'] });
    expect(affectedApplications(p, apps)).toEqual(['root']);
  });

  it('an empty list (empty commits) touches no app, not even the root one', () => {
    expect(affectedApplications(push({ changedPaths: [] }), apps)).toEqual([]);
  });

  it('unknown changed paths: every app of that repository and branch', () => {
    expect(affectedApplications(push(), apps)).toEqual([
      'root',
      'web',
      'web2',
      'api',
      'apps',
      'docs',
    ]);
  });
});

describe('affectedApplications: paths read by the last render', () => {
  const apps = [
    app('prod', {
      path: 'apps/web/overlays/prod',
      watchPaths: ['apps/web/base', 'shared/labels.yaml'],
    }),
    app('staging', { path: 'apps/web/overlays/staging' }),
  ];

  it("a change to an overlay's base reaches the overlay, and only it", () => {
    const p = push({ changedPaths: ['apps/web/base/deployment.yaml'] });
    expect(affectedApplications(p, apps)).toEqual(['prod']);
  });

  it('a watched file counts by its exact name, not as a prefix', () => {
    expect(affectedApplications(push({ changedPaths: ['shared/labels.yaml'] }), apps)).toEqual([
      'prod',
    ]);
    expect(affectedApplications(push({ changedPaths: ['shared/labels.yaml.bak'] }), apps)).toEqual(
      [],
    );
  });
});

describe('affectedApplications: suspension', () => {
  it('skips suspended applications and keeps the rest in order', () => {
    const apps = [app('b'), app('a', { suspended: true }), app('c', { suspended: false })];
    expect(affectedApplications(push(), apps)).toEqual(['b', 'c']);
  });
});

function pullRequest(overrides: Partial<PullRequestEvent> = {}): PullRequestEvent {
  return {
    provider: 'github',
    deliveryId: 'd-2',
    action: 'opened',
    repoURLs: ['https://github.com/Acme/platform-config'],
    number: 7,
    headSha: SHA,
    headRef: 'refs/pull/7/head',
    baseBranch: 'main',
    defaultBranch: 'main',
    fork: false,
    ...overrides,
  };
}

describe('previewCandidates', () => {
  const apps = [
    app('by-name', { targetRevision: 'main', path: 'apps/web' }),
    app('by-ref', { targetRevision: 'refs/heads/main' }),
    app('head', { targetRevision: 'HEAD' }),
    app('other-branch', { targetRevision: 'develop' }),
    app('pinned', { targetRevision: SHA }),
    app('tag', { targetRevision: 'v1.2.0' }),
    app('paused', { suspended: true }),
    app('other-repo', { repoURL: 'https://github.com/acme/other' }),
  ];

  it('the applications of the repository that follow the base branch, whatever their path', () => {
    expect(previewCandidates(pullRequest(), apps)).toEqual(['by-name', 'by-ref', 'head']);
  });

  it('a pull request into another branch: HEAD does not follow it', () => {
    expect(previewCandidates(pullRequest({ baseBranch: 'develop' }), apps)).toEqual([
      'other-branch',
    ]);
  });

  it('HEAD is included when the payload does not name the default branch', () => {
    const noDefault = pullRequest({ baseBranch: 'develop', defaultBranch: undefined });
    expect(previewCandidates(noDefault, apps)).toEqual(['head', 'other-branch']);
  });

  it('matches the repository by any URL form the payload gives', () => {
    const ssh = pullRequest({ repoURLs: ['git@github.com:Acme/platform-config.git'] });
    expect(previewCandidates(ssh, [app('a')])).toEqual(['a']);
  });

  it('a branch named like a tag an application follows is no base for it', () => {
    expect(
      previewCandidates(pullRequest({ baseBranch: 'v1.2.0' }), [
        app('tag-ref', { targetRevision: 'refs/tags/v1.2.0' }),
      ]),
    ).toEqual([]);
  });

  it('an application with several Git sources of the repository is listed once', () => {
    expect(previewCandidates(pullRequest(), [app('multi'), app('multi', { path: 'b' })])).toEqual([
      'multi',
    ]);
  });
});
