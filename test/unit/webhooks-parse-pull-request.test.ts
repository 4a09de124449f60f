import { describe, expect, it } from 'vitest';
import {
  parseBitbucketPullRequest,
  parseGiteaPullRequest,
  parseGithubPullRequest,
  parseGitlabMergeRequest,
  PayloadError,
  toHeaders,
} from '../../shared/webhooks/index.ts';
import { githubExample, githubExamples } from '../fixtures/webhooks/github-examples.ts';
import { fixture, providerRequest, without, type Json } from '../fixtures/webhooks/requests.ts';

const DELIVERY = '72d3162e-cc78-11e3-81ab-4c9367dc0958';

function parsed<T>(
  parse: (headers: Headers, body: Buffer) => T,
  provider: Parameters<typeof providerRequest>[0],
  body: Json,
  event: string,
): T {
  const req = providerRequest(provider, body, { event });
  return parse(toHeaders(req.headers), req.body);
}

function problems(run: () => unknown): string[] {
  try {
    run();
  } catch (err) {
    if (err instanceof PayloadError) return err.problems;
    throw err;
  }
  throw new Error('expected a PayloadError');
}

interface GithubPayload {
  action: string;
  pull_request: {
    draft: boolean;
    head: { sha: string; repo: { full_name: string } | null };
  };
}

const github = (body: Json) => parsed(parseGithubPullRequest, 'github', body, 'pull_request');
const githubPr = (action: string) => githubExample('pull_request', action) as Json & GithubPayload;

describe('parseGithubPullRequest (published examples, @octokit/webhooks-examples)', () => {
  it('reads the opened example: base repository URLs, pull ref, head SHA, same repository', () => {
    expect(github(githubPr('opened'))).toEqual({
      provider: 'github',
      deliveryId: DELIVERY,
      action: 'opened',
      repoURLs: [
        'https://github.com/Codertocat/Hello-World',
        'https://github.com/Codertocat/Hello-World.git',
        'git@github.com:Codertocat/Hello-World.git',
      ],
      number: 2,
      headSha: 'ec26c3e57ca3a959ca5aad62de7213c562f8c821',
      headRef: 'refs/pull/2/head',
      baseBranch: 'master',
      defaultBranch: 'master',
      fork: false,
    });
  });

  it.each(['reopened', 'synchronize'])('reads the %s example', (action) => {
    expect(github(githubPr(action))).toMatchObject({ action, number: 2, fork: false });
  });

  it('every pull_request example is a preview request with a full head SHA or ignored by its action, never a payload error', () => {
    const outcomes = new Set<string>();
    for (const example of githubExamples('pull_request')) {
      const result = github(example);
      if ('ignored' in result) {
        expect(result.ignored).toBe(`pull request action ${String(example.action)}`);
        outcomes.add('ignored');
      } else {
        expect(result.action).toBe(example.action);
        expect(result.headSha).toMatch(/^[0-9a-f]{40}$/);
        outcomes.add(result.action);
      }
    }
    expect(outcomes).toEqual(new Set(['opened', 'reopened', 'synchronize', 'ignored']));
  });

  it('ignores closed, labeled and edited with the action in the reason', () => {
    expect(github(githubPr('closed'))).toEqual({ ignored: 'pull request action closed' });
    expect(github(githubPr('labeled'))).toEqual({ ignored: 'pull request action labeled' });
    const edited = { ...githubPr('opened'), action: 'edited' };
    expect(github(edited)).toEqual({ ignored: 'pull request action edited' });
  });

  it('ignores an action it does not preview however little of the payload is there', () => {
    expect(github({ action: 'closed' })).toEqual({ ignored: 'pull request action closed' });
  });

  it('a fork: the head under another name, or its repository deleted (the examples have no fork; derived from opened)', () => {
    const fork = githubPr('opened');
    fork.pull_request.head.repo = { full_name: 'someone/Hello-World' };
    expect(github(fork)).toMatchObject({ fork: true, headRef: 'refs/pull/2/head' });
    const deleted = githubPr('opened');
    deleted.pull_request.head.repo = null;
    expect(github(deleted)).toMatchObject({ fork: true });
  });

  it('previews a draft like any other pull request', () => {
    const draft = githubPr('opened');
    draft.pull_request.draft = true;
    expect(github(draft)).toMatchObject({ action: 'opened', number: 2 });
  });

  it('names the field that is missing or malformed', () => {
    expect(problems(() => github(without(githubPr('opened'), 'number')))).toEqual([
      'number: Invalid input: expected number, received undefined',
    ]);
    const shortSha = githubPr('synchronize');
    shortSha.pull_request.head.sha = 'ec26c3e';
    expect(problems(() => github(shortSha))).toEqual([
      'pull_request.head.sha: expected a full commit SHA (40 hex digits; SHA-256 repositories are not supported)',
    ]);
    expect(problems(() => github(without(githubPr('opened'), 'action')))).toEqual([
      'action: Invalid input: expected string, received undefined',
    ]);
  });

  it('requires a delivery id for a preview request', () => {
    const req = providerRequest('github', githubPr('opened'), { event: 'pull_request' });
    delete req.headers['X-GitHub-Delivery'];
    expect(() => parseGithubPullRequest(toHeaders(req.headers), req.body)).toThrow(
      /delivery id header \(x-github-delivery\)/,
    );
  });
});

interface GitlabPayload {
  object_attributes: {
    action: string;
    oldrev?: string;
    iid?: number;
    draft: boolean;
    source_project_id: number;
    last_commit: { id: string } | null;
  };
}

const gitlab = (body: Json) =>
  parsed(parseGitlabMergeRequest, 'gitlab', body, 'Merge Request Hook');
const gitlabMr = (attributes: Partial<GitlabPayload['object_attributes']> = {}) => {
  const payload = fixture('gitlab-merge-request') as Json & GitlabPayload;
  Object.assign(payload.object_attributes, attributes);
  return payload;
};

describe('parseGitlabMergeRequest', () => {
  it('reads the documented example payload: project and target URLs, merge-request ref, last commit', () => {
    expect(gitlab(gitlabMr())).toEqual({
      provider: 'gitlab',
      deliveryId: DELIVERY,
      action: 'opened',
      repoURLs: [
        'http://example.com/gitlabhq/gitlab-test.git',
        'git@example.com:gitlabhq/gitlab-test.git',
        'http://example.com/gitlabhq/gitlab-test',
        'http://example.com/awesome_space/awesome_project.git',
        'git@example.com:awesome_space/awesome_project.git',
        'http://example.com/awesome_space/awesome_project',
      ],
      number: 1,
      headSha: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7',
      headRef: 'refs/merge-requests/1/head',
      baseBranch: 'master',
      defaultBranch: 'master',
      fork: false,
    });
  });

  it('reopen is reopened; an update with oldrev (new commits) is synchronize', () => {
    expect(gitlab(gitlabMr({ action: 'reopen' }))).toMatchObject({ action: 'reopened' });
    const pushed = gitlabMr({
      action: 'update',
      oldrev: '95790bf891e76fee5e1747ab589903a6a1f80f22',
    });
    expect(gitlab(pushed)).toMatchObject({ action: 'synchronize' });
  });

  it('ignores an update without new commits (title, labels...) and every other action', () => {
    expect(gitlab(gitlabMr({ action: 'update' }))).toEqual({
      ignored: 'merge request update without new commits',
    });
    for (const action of ['close', 'merge', 'approved', 'unapproved', 'approval']) {
      expect(gitlab(gitlabMr({ action }))).toEqual({ ignored: `merge request action ${action}` });
    }
  });

  it('a fork: the source project is another one; its head is still the target’s merge-request ref', () => {
    expect(gitlab(gitlabMr({ source_project_id: 15 }))).toMatchObject({
      fork: true,
      headRef: 'refs/merge-requests/1/head',
    });
  });

  it('previews a draft; ignores a merge request without commits', () => {
    expect(gitlab(gitlabMr({ draft: true }))).toMatchObject({ action: 'opened' });
    expect(gitlab(gitlabMr({ last_commit: null }))).toEqual({
      ignored: 'merge request !1 has no commits',
    });
  });

  it('names the field that is missing or malformed', () => {
    const noIid = gitlabMr();
    delete noIid.object_attributes.iid;
    expect(problems(() => gitlab(noIid))).toEqual([
      'object_attributes.iid: Invalid input: expected number, received undefined',
    ]);
    expect(problems(() => gitlab(gitlabMr({ last_commit: { id: 'not-a-sha' } })))).toEqual([
      'object_attributes.last_commit.id: expected a full commit SHA (40 hex digits; SHA-256 repositories are not supported)',
    ]);
  });
});

interface BitbucketPayload {
  pullrequest: {
    id?: number;
    source: {
      branch: { name: string };
      commit: { hash: string };
      repository: { full_name: string } | null;
    };
  };
  repository: Json;
}

const bitbucket = (body: Json, event = 'pullrequest:created') =>
  parsed(parseBitbucketPullRequest, 'bitbucket', body, event);
const bitbucketPr = () => fixture('bitbucket-pullrequest') as Json & BitbucketPayload;

describe('parseBitbucketPullRequest', () => {
  it('reads the documented example payload: destination URLs, branch ref, abbreviated head hash', () => {
    expect(bitbucket(bitbucketPr())).toEqual({
      provider: 'bitbucket',
      deliveryId: DELIVERY,
      action: 'opened',
      repoURLs: [
        'https://api.bitbucket.org/team_name/repo_name',
        'https://bitbucket.org/user_name/repo_name',
      ],
      number: 1,
      headSha: 'd3022fc0ca3d',
      headRef: 'refs/heads/branch2',
      baseBranch: 'master',
      fork: false,
    });
  });

  it('a branch name that is no Git revision is refused, naming the field, before it reaches Git', () => {
    const crafted = bitbucketPr();
    crafted.pullrequest.source.branch.name = 'main..evil';
    expect(problems(() => bitbucket(crafted))).toEqual([
      'pullrequest.source.branch.name: targetRevision must be a branch, a tag, HEAD or a full 40-character commit SHA',
    ]);
  });

  it('takes every update for a preview request (Bitbucket has no event for new commits alone)', () => {
    expect(bitbucket(bitbucketPr(), 'pullrequest:updated')).toMatchObject({
      action: 'synchronize',
    });
  });

  it('a fork (another repository, or a deleted one) has no ref in the destination repository', () => {
    const fork = bitbucketPr();
    fork.pullrequest.source.repository = { full_name: 'someone/repo_name' };
    const event = bitbucket(fork);
    expect(event).toMatchObject({ fork: true });
    expect(event).not.toHaveProperty('headRef');
    const deleted = bitbucketPr();
    deleted.pullrequest.source.repository = null;
    expect(bitbucket(deleted)).toMatchObject({ fork: true });
  });

  it('reads the main branch when the repository carries it', () => {
    const payload = bitbucketPr();
    payload.repository.mainbranch = { type: 'branch', name: 'trunk' };
    expect(bitbucket(payload)).toMatchObject({ defaultBranch: 'trunk' });
  });

  it('names the field that is missing or malformed', () => {
    const noId = bitbucketPr();
    delete noId.pullrequest.id;
    expect(problems(() => bitbucket(noId))).toEqual([
      'pullrequest.id: Invalid input: expected number, received undefined',
    ]);
    const tooShort = bitbucketPr();
    tooShort.pullrequest.source.commit.hash = 'd3022fc';
    expect(problems(() => bitbucket(tooShort))).toEqual([
      'pullrequest.source.commit.hash: expected a commit hash of 12 to 40 hex digits',
    ]);
  });

  it('ignores any other event key it is handed', () => {
    expect(bitbucket(bitbucketPr(), 'pullrequest:fulfilled')).toEqual({
      ignored: 'pullrequest:fulfilled event',
    });
  });
});

interface GiteaPayload {
  action: string;
  pull_request: { head: { sha: string; repo: { id: number } | null } };
}

const gitea = (body: Json) => parsed(parseGiteaPullRequest, 'gitea', body, 'pull_request');
const giteaPr = (action = 'opened') => {
  const payload = fixture('gitea-pull-request') as Json & GiteaPayload;
  payload.action = action;
  return payload;
};

describe('parseGiteaPullRequest (payload built from Gitea 1.27.3’s PullRequestPayload)', () => {
  it('reads opened: base repository URLs, pull ref, head SHA, same repository', () => {
    expect(gitea(giteaPr())).toEqual({
      provider: 'gitea',
      deliveryId: DELIVERY,
      action: 'opened',
      repoURLs: [
        'https://gitea.example.com/acme/platform-config',
        'https://gitea.example.com/acme/platform-config.git',
        'ssh://git@gitea.example.com:2222/acme/platform-config.git',
      ],
      number: 7,
      headSha: '4f1ad2b7c0e3d95a8b6e7f10293a4b5c6d7e8f90',
      headRef: 'refs/pull/7/head',
      baseBranch: 'main',
      defaultBranch: 'main',
      fork: false,
    });
  });

  it('synchronized (Gitea’s spelling) is synchronize; reopened is reopened', () => {
    expect(gitea(giteaPr('synchronized'))).toMatchObject({ action: 'synchronize' });
    expect(gitea(giteaPr('reopened'))).toMatchObject({ action: 'reopened' });
  });

  it.each(['closed', 'edited', 'label_updated', 'assigned', 'reviewed', 'synchronize'])(
    'ignores %s',
    (action) => {
      expect(gitea(giteaPr(action))).toEqual({ ignored: `pull request action ${action}` });
    },
  );

  it('a fork: the head repository has another id, or was deleted', () => {
    const fork = giteaPr();
    fork.pull_request.head.repo = { id: 141 };
    expect(gitea(fork)).toMatchObject({ fork: true, headRef: 'refs/pull/7/head' });
    const deleted = giteaPr();
    deleted.pull_request.head.repo = null;
    expect(gitea(deleted)).toMatchObject({ fork: true });
  });

  it('refuses the head of a SHA-256 repository (the Git client cannot fetch it) and names a malformed one', () => {
    const sha256 = giteaPr();
    sha256.pull_request.head.sha = 'a'.repeat(64);
    expect(problems(() => gitea(sha256))).toEqual([
      `pull_request.head.sha: ${'expected a full commit SHA (40 hex digits; SHA-256 repositories are not supported)'}`,
    ]);
    const empty = giteaPr();
    empty.pull_request.head.sha = '';
    expect(problems(() => gitea(empty))).toEqual([
      'pull_request.head.sha: expected a full commit SHA (40 hex digits; SHA-256 repositories are not supported)',
    ]);
    expect(problems(() => gitea(without(giteaPr(), 'number')))).toEqual([
      'number: Invalid input: expected number, received undefined',
    ]);
  });
});
