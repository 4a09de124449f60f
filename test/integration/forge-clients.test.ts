import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ForgeCredentialMap, forgeLookup } from '../../shared/forge/forge-credentials.ts';
import type { CommitState, ForgeTarget } from '../../shared/forge/types.ts';
import { uniqueName } from '../harness/context.ts';
import {
  startBitbucketStandin,
  type BitbucketStandin,
} from '../harness/forge-standins/bitbucket-standin.ts';
import {
  startGitHubStandin,
  type GitHubStandin,
} from '../harness/forge-standins/github-standin.ts';
import {
  startGitLabStandin,
  type GitLabStandin,
} from '../harness/forge-standins/gitlab-standin.ts';
import { expectNoNewViolations } from '../harness/forge-standins/no-new-violations.ts';

const STATES: CommitState[] = ['pending', 'success', 'failure', 'error'];
const MARKER = '<!-- driftless:preview -->';
const sha = (n: number) => n.toString(16).padStart(40, '0');

/** The target for `repoURL` under one credential for `prefix`. */
function targetFor(
  prefix: string,
  credential: Record<string, unknown>,
  repoURL: string,
): ForgeTarget {
  const target = forgeLookup(ForgeCredentialMap.parse({ [prefix]: credential }))(repoURL);
  if (!target) throw new Error(`no forge target for ${repoURL}`);
  return target;
}

/** Files 0..count-1, every third one renamed from `old/…`. */
function renames(count: number) {
  return Array.from({ length: count }, (_, i) => ({
    now: `apps/f${i}.yaml`,
    before: i % 3 === 0 ? `old/f${i}.yaml` : undefined,
  }));
}

describe("GitHub with a token (stand-in validated against GitHub's OpenAPI description)", () => {
  let github: GitHubStandin;
  const TOKEN = 'ghp_forge-clients-token';
  beforeAll(async () => {
    github = await startGitHubStandin();
    github.addUser(TOKEN, 'driftless-bot');
  });
  expectNoNewViolations(() => github);
  afterAll(() => github.stop());

  const repoTarget = () => {
    const name = uniqueName('app');
    const target = targetFor(
      `${github.url}/acme`,
      { type: 'github', token: TOKEN, apiURL: github.apiURL },
      `${github.url}/acme/${name}.git`,
    );
    return { ...target, full: `acme/${name}` };
  };

  it('posts a status in every state, with its context and link, the description cut to 140 characters', async () => {
    const { client, repo, full } = repoTarget();
    expect(repo).toEqual({ owner: 'acme', name: full.split('/')[1] });
    for (const state of STATES) {
      await client.setCommitStatus(repo, {
        sha: sha(1),
        state,
        context: 'driftless/app@cluster-a',
        description: `${state}: ${'d'.repeat(200)}`,
        targetUrl: 'https://driftless.example/#/apps/app',
      });
    }
    const posted = github.statuses(full, sha(1));
    expect(posted.map((s) => s.state)).toEqual(STATES);
    expect(posted.map((s) => s.context)).toEqual(STATES.map(() => 'driftless/app@cluster-a'));
    expect(posted.map((s) => s.description?.length)).toEqual(STATES.map(() => 140));
    expect(posted[0]!.targetUrl).toBe('https://driftless.example/#/apps/app');
  });

  it('creates the comment, then updates that one rather than writing another', async () => {
    const { client, repo, full } = repoTarget();
    await client.upsertPullRequestComment(repo, 4, MARKER, `${MARKER}\nfirst`);
    await client.upsertPullRequestComment(repo, 4, MARKER, `${MARKER}\nsecond`);
    const comments = github.comments(full, 4);
    expect(comments.map((c) => [c.author.login, c.body])).toEqual([
      ['driftless-bot', `${MARKER}\nsecond`],
    ]);
  });

  it("leaves alone a person's comment that carries the marker, before or after ours", async () => {
    const { client, repo, full } = repoTarget();
    const mallory = github.addUser('ghp_mallory-token', 'mallory');
    github.addComment(full, 5, mallory, `pasted ${MARKER} to be edited`);
    await client.upsertPullRequestComment(repo, 5, MARKER, 'preview one');
    github.addComment(full, 5, mallory, `${MARKER} newer than ours`);
    await client.upsertPullRequestComment(repo, 5, MARKER, 'preview two');
    expect(github.comments(full, 5).map((c) => [c.author.login, c.body])).toEqual([
      ['mallory', `pasted ${MARKER} to be edited`],
      ['driftless-bot', `${MARKER}\npreview two`],
      ['mallory', `${MARKER} newer than ours`],
    ]);
  });

  it('finds its comment on a later page of a long conversation', async () => {
    const { client, repo, full } = repoTarget();
    const talker = github.addUser('ghp_talker-token', 'talker');
    for (let i = 0; i < 150; i++) github.addComment(full, 6, talker, `comment ${i}`);
    await client.upsertPullRequestComment(repo, 6, MARKER, 'v1');
    await client.upsertPullRequestComment(repo, 6, MARKER, 'v2');
    expect(
      github
        .comments(full, 6)
        .filter((c) => c.author.login === 'driftless-bot')
        .map((c) => c.body),
    ).toEqual([`${MARKER}\nv2`]);
    expect(
      github.requests.filter(
        (r) => r.path.endsWith(`/${full}/issues/6/comments`) && r.query.includes('page=2'),
      ),
    ).toHaveLength(2);
  });

  it('lists both sides of every rename, across pages of 100', async () => {
    const { client, repo, full } = repoTarget();
    const files = renames(250);
    github.setPullRequestFiles(
      full,
      7,
      files.map((f) =>
        f.before
          ? { filename: f.now, status: 'renamed', previous_filename: f.before }
          : { filename: f.now, status: 'modified' },
      ),
    );
    const paths = await client.pullRequestFiles(repo, 7);
    expect(paths?.toSorted()).toEqual(
      files.flatMap((f) => (f.before ? [f.now, f.before] : [f.now])).toSorted(),
    );
    expect(github.requests.filter((r) => r.path.endsWith(`/${full}/pulls/7/files`))).toHaveLength(
      3,
    );
  });

  it("gives no list at GitHub's 3000-file limit, where its listing may be cut", async () => {
    const { client, repo, full } = repoTarget();
    github.setPullRequestFiles(
      full,
      8,
      renames(3200).map((f) => ({ filename: f.now, status: 'added' })),
    );
    expect(await client.pullRequestFiles(repo, 8)).toBeUndefined();
    github.setPullRequestFiles(
      full,
      9,
      renames(2999).map((f) => ({ filename: f.now, status: 'added' })),
    );
    expect(await client.pullRequestFiles(repo, 9)).toHaveLength(2999);
  });
});

describe("GitHub with an App (stand-in validated against GitHub's OpenAPI description)", () => {
  let github: GitHubStandin;
  const keys = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    // GitHub hands out App keys as PKCS#1 PEM.
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const app = { appId: 4242, slug: 'driftless-preview', installationId: 77 };
  beforeAll(async () => {
    github = await startGitHubStandin();
    github.addApp({ ...app, publicKeyPem: keys.publicKey });
  });
  expectNoNewViolations(() => github);
  afterAll(() => github.stop());

  const appTarget = () => {
    const name = uniqueName('app');
    const credential = {
      type: 'github-app',
      appId: app.appId,
      installationId: app.installationId,
      privateKey: keys.privateKey,
      apiURL: github.apiURL,
    };
    return {
      ...targetFor(`${github.url}/acme`, credential, `${github.url}/acme/${name}`),
      full: `acme/${name}`,
    };
  };

  it('fetches one installation token with a JWT the App key signs, and reuses it', async () => {
    const { client, repo, full } = appTarget();
    const before = github.tokensIssued();
    await client.setCommitStatus(repo, {
      sha: sha(2),
      state: 'pending',
      context: 'driftless/preview',
      description: 'rendering',
    });
    await client.setCommitStatus(repo, {
      sha: sha(2),
      state: 'success',
      context: 'driftless/preview',
      description: 'no changes',
    });
    await client.upsertPullRequestComment(repo, 1, MARKER, 'preview');
    await client.upsertPullRequestComment(repo, 1, MARKER, 'preview, again');
    expect(github.tokensIssued() - before).toBe(1);
    expect(github.statuses(full, sha(2)).map((s) => [s.state, s.creator.login])).toEqual([
      ['pending', 'driftless-preview[bot]'],
      ['success', 'driftless-preview[bot]'],
    ]);
    expect(github.comments(full, 1).map((c) => [c.author.login, c.body])).toEqual([
      ['driftless-preview[bot]', `${MARKER}\npreview, again`],
    ]);
  });

  it("updates only its bot's comment, not a person's, even one written through the App", async () => {
    const { client, repo, full } = appTarget();
    const person = github.addUser('ghp_person-token', 'driftless-preview');
    github.addComment(full, 2, person, `${MARKER} my own words`);
    const through = { id: app.appId, slug: app.slug };
    github.addComment(full, 2, person, `${MARKER} written with the App's user token`, through);
    await client.upsertPullRequestComment(repo, 2, MARKER, 'preview');
    await client.upsertPullRequestComment(repo, 2, MARKER, 'preview 2');
    expect(github.comments(full, 2).map((c) => [c.author.login, c.body])).toEqual([
      ['driftless-preview', `${MARKER} my own words`],
      ['driftless-preview', `${MARKER} written with the App's user token`],
      ['driftless-preview[bot]', `${MARKER}\npreview 2`],
    ]);
  });
});

describe("GitHub Enterprise Server (stand-in validated against GitHub Enterprise Server's OpenAPI description)", () => {
  let github: GitHubStandin;
  const TOKEN = 'ghp_enterprise-token';
  beforeAll(async () => {
    github = await startGitHubStandin({ prefix: '/api/v3', description: 'ghes-3.17' });
    github.addUser(TOKEN, 'ghe-bot');
  });
  expectNoNewViolations(() => github);
  afterAll(() => github.stop());

  it('finds the API at /api/v3 on the host without apiURL, and works there', async () => {
    const { client, repo } = targetFor(
      `${github.url}/platform`,
      { type: 'github', token: TOKEN },
      `${github.url}/platform/deploy.git`,
    );
    github.setPullRequestFiles('platform/deploy', 3, [
      { filename: 'a.yaml', status: 'renamed', previous_filename: 'b.yaml' },
    ]);
    await client.setCommitStatus(repo, {
      sha: sha(3),
      state: 'failure',
      context: 'driftless/deploy',
      description: 'render failed',
    });
    await client.upsertPullRequestComment(repo, 3, MARKER, 'preview');
    expect((await client.pullRequestFiles(repo, 3))?.toSorted()).toEqual(['a.yaml', 'b.yaml']);
    expect(github.statuses('platform/deploy', sha(3)).map((s) => s.state)).toEqual(['failure']);
    expect(github.comments('platform/deploy', 3)).toHaveLength(1);
    expect(new Set(github.requests.map((r) => r.path.split('/').slice(0, 3).join('/')))).toEqual(
      new Set(['/api/v3']),
    );
  });
});

describe('GitLab (stand-in, documented request shapes)', () => {
  let gitlab: GitLabStandin;
  const TOKEN = 'glpat-forge-clients';
  let bot: { id: number; username: string };
  beforeAll(async () => {
    gitlab = await startGitLabStandin();
    bot = gitlab.addUser(TOKEN, 'project_12_bot');
  });
  expectNoNewViolations(() => gitlab);
  afterAll(() => gitlab.stop());

  const projectTarget = () => {
    const path = `acme/platform/${uniqueName('app')}`;
    return {
      ...targetFor(
        `${gitlab.url}/acme`,
        { type: 'gitlab', token: TOKEN },
        `${gitlab.url}/${path}.git`,
      ),
      path,
    };
  };

  it("keeps every group in the project's path and posts each state in GitLab's words, the context as name", async () => {
    const { client, repo, path } = projectTarget();
    expect(repo).toEqual({ owner: 'acme/platform', name: path.split('/')[2] });
    const seen: (string | undefined)[] = [];
    for (const state of STATES) {
      const targetUrl = `https://driftless.example/${'u'.repeat(300)}`;
      await client.setCommitStatus(repo, {
        sha: sha(4),
        state,
        context: 'driftless/app',
        description: 'x'.repeat(300),
        targetUrl,
      });
      seen.push(gitlab.statuses(path, sha(4)).at(-1)?.status);
    }
    expect(seen).toEqual(['running', 'success', 'failed', 'failed']);
    const posted = gitlab.statuses(path, sha(4));
    expect(posted.map((s) => [s.name, s.description?.length, s.target_url])).toEqual(
      posted.map(() => ['driftless/app', 255, null]),
    );
  });

  it('takes a repeated running status as set: GitLab refuses to run a running status again', async () => {
    const { client, repo, path } = projectTarget();
    const pending = {
      sha: sha(5),
      state: 'pending' as const,
      context: 'driftless/app',
      description: 'syncing',
    };
    await client.setCommitStatus(repo, pending);
    await client.setCommitStatus(repo, pending);
    expect(gitlab.statuses(path, sha(5)).map((s) => s.status)).toEqual(['running']);
  });

  it("creates its note, then updates it; a person's or a system note with the marker is left alone", async () => {
    const { client, repo, path } = projectTarget();
    const mallory = gitlab.addUser('glpat-mallory', 'mallory');
    gitlab.addNote(path, 2, mallory, `${MARKER} pasted`);
    gitlab.addNote(path, 2, bot, `${MARKER} a system note under our name`, true);
    await client.upsertPullRequestComment(repo, 2, MARKER, 'v1');
    gitlab.addNote(path, 2, mallory, `${MARKER} newer`);
    await client.upsertPullRequestComment(repo, 2, MARKER, 'v2');
    expect(gitlab.notes(path, 2).map((n) => [n.author.username, n.body])).toEqual([
      ['mallory', `${MARKER} pasted`],
      ['project_12_bot', `${MARKER} a system note under our name`],
      ['project_12_bot', `${MARKER}\nv2`],
      ['mallory', `${MARKER} newer`],
    ]);
  });

  it('lists old and new paths across pages, and gives no list when GitLab kept only part of the diff', async () => {
    const { client, repo, path } = projectTarget();
    const files = renames(230);
    gitlab.setMergeRequest(
      path,
      3,
      files.map((f) => ({ old_path: f.before ?? f.now, new_path: f.now })),
    );
    const paths = await client.pullRequestFiles(repo, 3);
    expect(paths?.toSorted()).toEqual(
      files.flatMap((f) => (f.before ? [f.now, f.before] : [f.now])).toSorted(),
    );
    gitlab.setMergeRequest(
      path,
      4,
      files.slice(0, 10).map((f) => ({ old_path: f.now, new_path: f.now })),
      true,
    );
    expect(await client.pullRequestFiles(repo, 4)).toBeUndefined();
  });
});

describe('Bitbucket Cloud (stand-in, documented request shapes)', () => {
  let bitbucket: BitbucketStandin;
  const TOKEN = 'bb-access-token-forge';
  beforeAll(async () => {
    bitbucket = await startBitbucketStandin();
    bitbucket.addUser({ token: TOKEN }, 'driftless-access-token');
  });
  expectNoNewViolations(() => bitbucket);
  afterAll(() => bitbucket.stop());

  const repoTarget = (credential: Record<string, unknown> = { token: TOKEN }) => {
    const name = uniqueName('app');
    const target = targetFor(
      `${bitbucket.url}/acme`,
      { type: 'bitbucket', ...credential, apiURL: bitbucket.apiURL },
      `${bitbucket.url}/acme/${name}.git`,
    );
    return { ...target, full: `acme/${name}` };
  };

  it("posts each state in Bitbucket's words, one key per context within 40 characters, the commit page when there is no link", async () => {
    const { client, repo, full } = repoTarget();
    const long = 'driftless/a-rather-long-application-name@cluster-b';
    const seen: string[] = [];
    for (const state of STATES) {
      await client.setCommitStatus(repo, { sha: sha(6), state, context: long, description: state });
      await client.setCommitStatus(repo, {
        sha: sha(6),
        state,
        context: 'driftless/app',
        description: state,
        targetUrl: 'https://driftless.example/#/apps/app',
      });
      seen.push(bitbucket.statuses(full, sha(6)).find((s) => s.name === long)!.state);
    }
    expect(seen).toEqual(['INPROGRESS', 'SUCCESSFUL', 'FAILED', 'FAILED']);
    const [byLong, byShort] = bitbucket.statuses(full, sha(6));
    expect(byLong!.key.length).toBeLessThanOrEqual(40);
    expect(byLong!.url).toBe(`${bitbucket.url}/${full}/commits/${sha(6)}`);
    expect(byShort).toMatchObject({
      key: 'driftless/app',
      name: 'driftless/app',
      url: 'https://driftless.example/#/apps/app',
    });
  });

  it("creates its comment, then updates it; a person's marked comment and a deleted one of ours are left alone", async () => {
    const { client, repo, full } = repoTarget();
    const mallory = bitbucket.addUser({ token: 'bb-mallory' }, 'mallory');
    const me = bitbucket.addUser(
      { username: 'driftless', password: 'app-password-x1' },
      'driftless',
    );
    bitbucket.addComment(full, 3, mallory, `${MARKER} pasted`);
    bitbucket.addComment(full, 3, me, `${MARKER} deleted`, true);
    const basic = repoTarget({ username: 'driftless', appPassword: 'app-password-x1' });
    await basic.client.upsertPullRequestComment(repo, 3, MARKER, 'v1');
    bitbucket.addComment(full, 3, mallory, `${MARKER} newer`);
    await basic.client.upsertPullRequestComment(repo, 3, MARKER, 'v2');
    expect(bitbucket.comments(full, 3).map((c) => [c.author.nickname, c.raw])).toEqual([
      ['mallory', `${MARKER} pasted`],
      ['driftless', `${MARKER} deleted`],
      ['driftless', `${MARKER}\nv2`],
      ['mallory', `${MARKER} newer`],
    ]);
    await client.upsertPullRequestComment(repo, 3, MARKER, 'from the access token');
    expect(bitbucket.comments(full, 3)).toHaveLength(5);
  });

  it("follows the pull request diffstat's redirect within the repository, across pages, both sides of renames", async () => {
    const { client, repo, full } = repoTarget();
    const files = renames(1200);
    bitbucket.setDiffstat(
      full,
      4,
      files.map((f) =>
        f.before
          ? { status: 'renamed', old: f.before, new: f.now }
          : { status: 'added', new: f.now },
      ),
    );
    const paths = await client.pullRequestFiles(repo, 4);
    expect(paths?.toSorted()).toEqual(
      files.flatMap((f) => (f.before ? [f.now, f.before] : [f.now])).toSorted(),
    );
    expect(bitbucket.requests.filter((r) => r.path.includes(`/${full}/diffstat/`))).toHaveLength(3);
  });
});
