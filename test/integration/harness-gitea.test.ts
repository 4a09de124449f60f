import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hmacHex, SECRETS } from '../fixtures/webhooks/requests.ts';
import { startGitea, type Gitea, type GiteaRepo, type GiteaUser } from '../harness/gitea.ts';
import { waitUntil } from '../harness/net.ts';

const run = promisify(execFile);
const SECRET = SECRETS.gitea;
const FIXTURES = new URL('../fixtures/webhooks/gitea-1.27/', import.meta.url);
// Set to rewrite the fixtures from this run's deliveries instead of checking them.
const RECORD = process.env.DRIFTLESS_RECORD_GITEA_FIXTURES === '1';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ZERO_SHA = '0'.repeat(40);

interface Delivery {
  /** Header names as Gitea spelled them. */
  rawHeaders: Record<string, string>;
  headers: IncomingHttpHeaders;
  body: Buffer;
  json: Record<string, unknown>;
}

interface RepoPayload {
  full_name: string;
  html_url: string;
  clone_url: string;
  ssh_url: string;
  default_branch: string;
  fork: boolean;
}

interface PushPayload {
  ref: string;
  before: string;
  after: string;
  commits: { id: string; added: string[]; removed: string[]; modified: string[] }[];
  repository: RepoPayload;
}

interface PullRequestPayload {
  action: string;
  number: number;
  pull_request: {
    number: number;
    head: { ref: string; sha: string; repo: RepoPayload };
    base: { ref: string; sha: string; repo: RepoPayload };
  };
  repository: RepoPayload;
}

interface Receiver {
  url: string;
  deliveries: Delivery[];
  waitFor(what: string, match: (d: Delivery) => boolean): Promise<Delivery>;
  close(): Promise<void>;
}

/** A webhook receiver on 127.0.0.1 that keeps every delivery's raw bytes. */
async function startReceiver(gitea: () => Gitea): Promise<Receiver> {
  const deliveries: Delivery[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rawHeaders: Record<string, string> = {};
      for (let i = 0; i < req.rawHeaders.length; i += 2) {
        rawHeaders[req.rawHeaders[i]!] = req.rawHeaders[i + 1]!;
      }
      const body = Buffer.concat(chunks);
      const json = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
      deliveries.push({ rawHeaders, headers: req.headers, body, json });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', () => ok()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return {
    url,
    deliveries,
    async waitFor(what, match) {
      let found: Delivery | undefined;
      try {
        await waitUntil(
          `a ${what} delivery`,
          async () => (found = deliveries.find(match)) !== undefined,
          { timeoutMs: 20_000 },
        );
      } catch (err) {
        throw new Error(`${(err as Error).message}; Gitea's log:\n${gitea().logTail()}`, {
          cause: err,
        });
      }
      return found!;
    },
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}

const event = (d: Delivery): string | undefined => d.headers['x-gitea-event'] as string | undefined;
const asPush = (d: Delivery): PushPayload => d.json as unknown as PushPayload;
const asPull = (d: Delivery): PullRequestPayload => d.json as unknown as PullRequestPayload;

/** Every key path of a JSON value with the type found there (array items share `[]`). */
function shape(value: unknown, path = '$', out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) {
    out.add(`${path}:array`);
    for (const item of value) shape(item, `${path}[]`, out);
  } else if (value !== null && typeof value === 'object') {
    out.add(`${path}:object`);
    for (const [k, v] of Object.entries(value)) shape(v, `${path}.${k}`, out);
  } else {
    out.add(`${path}:${value === null ? 'null' : typeof value}`);
  }
  return out;
}

/**
 * Saves a delivery as fixtures (`NAME.body`, the raw bytes the signature covers,
 * and `NAME.headers.json`) when recording; otherwise checks that this run's
 * delivery has the saved one's headers and payload shape, so a Gitea bump that
 * changes them shows here first.
 */
function fixture(name: string, d: Delivery): void {
  const bodyFile = new URL(`${name}.body`, FIXTURES);
  const headersFile = new URL(`${name}.headers.json`, FIXTURES);
  if (RECORD) {
    mkdirSync(FIXTURES, { recursive: true });
    writeFileSync(bodyFile, d.body);
    writeFileSync(headersFile, `${JSON.stringify(d.rawHeaders, null, 2)}\n`);
    return;
  }
  const saved = JSON.parse(readFileSync(headersFile, 'utf8')) as Record<string, string>;
  expect(Object.keys(d.rawHeaders).sort()).toEqual(Object.keys(saved).sort());
  const savedBody = readFileSync(bodyFile);
  expect(saved['X-Gitea-Signature']).toBe(hmacHex(SECRET, savedBody));
  expect([...shape(d.json)].sort()).toEqual(
    [...shape(JSON.parse(savedBody.toString())).values()].sort(),
  );
}

/** refs/pull/* of a repository, as the real `git ls-remote` sees them anonymously. */
async function pullRefs(repo: GiteaRepo): Promise<Record<string, string>> {
  const { stdout } = await run('git', ['ls-remote', repo.cloneURL, 'refs/pull/*'], {
    env: { ...process.env, GIT_TERMINAL_PROMPT: '0' },
  });
  const refs: Record<string, string> = {};
  for (const line of stdout.trim().split('\n').filter(Boolean)) {
    const [sha, ref] = line.split('\t');
    refs[ref!] = sha!;
  }
  return refs;
}

describe('Gitea (real forge): webhooks, pull requests, commit statuses, comments', () => {
  let gitea: Gitea;
  let receiver: Receiver;
  const users: GiteaUser[] = [];

  beforeAll(async () => {
    const started = Date.now();
    gitea = await startGitea();
    console.log(`[gitea] started in ${Date.now() - started} ms (admin and token included)`);
    receiver = await startReceiver(() => gitea);
  });
  afterAll(async () => {
    await receiver?.close();
    await gitea?.stop();
  });

  const user = async (name: string): Promise<GiteaUser> => {
    const u = await gitea.createUser(name);
    users.push(u);
    return u;
  };

  /** A repository with a first commit on main and a webhook for push and pull_request. */
  const hookedRepo = async (
    owner: GiteaUser,
    name: string,
  ): Promise<{ repo: GiteaRepo; main: string }> => {
    const repo = await gitea.createRepo(owner.token, name, { autoInit: false });
    await gitea.createWebhook(owner.token, owner.username, name, {
      url: receiver.url,
      secret: SECRET,
      events: ['push', 'pull_request'],
    });
    const main = await gitea.pushFiles(
      owner,
      repo,
      'main',
      { 'README.md': `# ${name}\n`, 'app/config.yaml': 'replicas: 1\n' },
      { message: 'First commit' },
    );
    return { repo, main };
  };

  /** No password or token of any harness user appears in what Gitea sent. */
  const expectNoCredentials = (d: Delivery): void => {
    const text = `${d.body.toString()}${JSON.stringify(d.rawHeaders)}`;
    for (const u of [gitea.admin, ...users]) {
      expect(text).not.toContain(u.token);
      expect(text).not.toContain(u.password);
    }
  };

  it('delivers real pushes signed with the hex HMAC-SHA256 of the raw body', async () => {
    const alice = await user('alice');
    const { repo, main } = await hookedRepo(alice, 'config');
    const next = await gitea.pushFiles(
      alice,
      repo,
      'main',
      { 'README.md': '# config\n', 'app/config.yaml': 'replicas: 2\n' },
      { message: 'Scale to 2' },
    );

    const created = await receiver.waitFor('push creating main', (d) => asPush(d).after === main);
    expect(asPush(created).before).toBe(ZERO_SHA);
    const d = await receiver.waitFor('push to main', (d) => asPush(d).after === next);
    expect(d.rawHeaders['X-Gitea-Event']).toBe('push');
    expect(d.rawHeaders['X-Gitea-Event-Type']).toBe('push');
    expect(d.rawHeaders['X-Gitea-Delivery']).toMatch(UUID);
    expect(d.rawHeaders['X-Gitea-Signature']).toBe(hmacHex(SECRET, d.body));
    expect(d.rawHeaders['Content-Type']).toBe('application/json');
    const push = asPush(d);
    expect(push).toMatchObject({ ref: 'refs/heads/main', before: main, after: next });
    expect(push.commits.map((c) => [c.id, c.modified])).toEqual([[next, ['app/config.yaml']]]);
    expect(push.repository).toMatchObject({
      full_name: 'alice/config',
      html_url: repo.htmlURL,
      clone_url: repo.cloneURL,
      ssh_url: 'git@127.0.0.1:alice/config.git',
      default_branch: 'main',
    });
    expectNoCredentials(d);
    fixture('push', d);
  });

  it('delivers pull_request opened, synchronized, closed and reopened; refs/pull/N/head follows', async () => {
    const bob = await user('bob');
    const { repo, main } = await hookedRepo(bob, 'platform');
    const files = { 'README.md': '# platform\n', 'app/config.yaml': 'replicas: 3\n' };
    const first = await gitea.pushFiles(bob, repo, 'preview', files, { from: 'main' });
    const pr = await gitea.createPullRequest(bob.token, 'bob', 'platform', {
      head: 'preview',
      base: 'main',
      title: 'Three replicas',
    });
    expect(pr.headSha).toBe(first);
    const ofPr = (action: string, sha: string) => (d: Delivery) =>
      event(d) === 'pull_request' &&
      asPull(d).action === action &&
      asPull(d).number === pr.number &&
      asPull(d).pull_request.head.sha === sha;

    const opened = await receiver.waitFor('pull_request opened', ofPr('opened', first));
    expect(opened.rawHeaders['X-Gitea-Event-Type']).toBe('pull_request');
    expect(opened.rawHeaders['X-Gitea-Signature']).toBe(hmacHex(SECRET, opened.body));
    const payload = asPull(opened);
    expect(payload.pull_request.number).toBe(pr.number);
    expect(payload.pull_request.head).toMatchObject({ ref: 'preview', sha: first });
    expect(payload.pull_request.base).toMatchObject({ ref: 'main', sha: main });
    expect(payload.pull_request.head.repo.full_name).toBe(payload.pull_request.base.repo.full_name);
    expect(payload.pull_request.base.repo).toMatchObject({
      html_url: repo.htmlURL,
      clone_url: repo.cloneURL,
      ssh_url: 'git@127.0.0.1:bob/platform.git',
      fork: false,
    });
    expect(payload.repository.default_branch).toBe('main');
    expect((await pullRefs(repo))[`refs/pull/${pr.number}/head`]).toBe(first);
    expectNoCredentials(opened);
    fixture('pull-request-opened', opened);

    const second = await gitea.pushFiles(bob, repo, 'preview', {
      ...files,
      'app/extra.yaml': 'extra: true\n',
    });
    const synced = await receiver.waitFor(
      'pull_request synchronized',
      ofPr('synchronized', second),
    );
    expect(synced.rawHeaders['X-Gitea-Event']).toBe('pull_request');
    expect(synced.rawHeaders['X-Gitea-Event-Type']).toBe('pull_request_sync');
    expect((await pullRefs(repo))[`refs/pull/${pr.number}/head`]).toBe(second);
    expectNoCredentials(synced);
    fixture('pull-request-synchronized', synced);

    const path = `/repos/bob/platform/pulls/${pr.number}`;
    await gitea.api(bob.token, 'PATCH', path, { state: 'closed' });
    await receiver.waitFor('pull_request closed', ofPr('closed', second));
    await gitea.api(bob.token, 'PATCH', path, { state: 'open' });
    await receiver.waitFor('pull_request reopened', ofPr('reopened', second));
  });

  it('keeps commit statuses and pull request comments posted through the API', async () => {
    const carol = await user('carol');
    const { repo, main } = await hookedRepo(carol, 'apps');
    await gitea.pushFiles(
      carol,
      repo,
      'change',
      { 'README.md': '# apps, changed\n' },
      { from: 'main' },
    );
    const pr = await gitea.createPullRequest(carol.token, 'carol', 'apps', {
      head: 'change',
      base: 'main',
      title: 'Change',
    });

    const status = {
      state: 'failure',
      context: 'driftless/preview',
      description: '2 objects would change',
      target_url: 'https://driftless.example.com/apps/apps',
    };
    await gitea.api(carol.token, 'POST', `/repos/carol/apps/statuses/${pr.headSha}`, status);
    await gitea.api(carol.token, 'POST', `/repos/carol/apps/statuses/${pr.headSha}`, {
      ...status,
      state: 'success',
      description: 'no change',
    });
    const statuses = await gitea.commitStatuses('carol', 'apps', pr.headSha);
    // Newest first; the state is named `status` here (and `state` when posted).
    expect(statuses.map((s) => [s.status, s.context, s.description, s.creator.login])).toEqual([
      ['success', 'driftless/preview', 'no change', 'carol'],
      ['failure', 'driftless/preview', '2 objects would change', 'carol'],
    ]);
    expect(statuses[0]!.target_url).toBe(status.target_url);
    const combined = await gitea.api<{ state: string; total_count: number }>(
      gitea.admin.token,
      'GET',
      `/repos/carol/apps/commits/${pr.headSha}/status`,
    );
    expect(combined).toMatchObject({ state: 'success', total_count: 1 });
    // Gitea 1.27 stores any state string it is given: a client has to send a valid one.
    await gitea.api(carol.token, 'POST', `/repos/carol/apps/statuses/${main}`, {
      state: 'bogus',
      context: 'x',
    });
    expect((await gitea.commitStatuses('carol', 'apps', main))[0]!.status).toBe('bogus');

    const posted = await gitea.api<{ id: number }>(
      carol.token,
      'POST',
      `/repos/carol/apps/issues/${pr.number}/comments`,
      { body: 'Preview: 2 objects would change' },
    );
    await gitea.api(carol.token, 'PATCH', `/repos/carol/apps/issues/comments/${posted.id}`, {
      body: 'Preview: no change',
    });
    const comments = await gitea.pullRequestComments('carol', 'apps', pr.number);
    expect(comments.map((c) => [c.id, c.body, c.user.login])).toEqual([
      [posted.id, 'Preview: no change', 'carol'],
    ]);
    const commented = await receiver.waitFor(
      'issue_comment',
      (d) => event(d) === 'issue_comment' && (d.json.comment as { id: number }).id === posted.id,
    );
    expect(commented.rawHeaders['X-Gitea-Event-Type']).toBe('pull_request_comment');
  });

  it('delivers a pull request from a fork with the fork as head.repo; refs/pull/N/head is on the base', async () => {
    const dave = await user('dave');
    const erin = await user('erin');
    const { repo } = await hookedRepo(dave, 'fleet');
    const fork = await gitea.forkRepo(erin.token, 'dave', 'fleet');
    expect(fork).toMatchObject({ owner: 'erin', name: 'fleet' });
    const sha = await gitea.pushFiles(
      erin,
      fork,
      'fork-change',
      { 'README.md': '# fleet\n', 'app/config.yaml': 'replicas: 5\n' },
      { from: 'main' },
    );
    const pr = await gitea.createPullRequest(erin.token, 'dave', 'fleet', {
      head: 'erin:fork-change',
      base: 'main',
      title: 'From a fork',
    });
    expect(pr.headSha).toBe(sha);

    const d = await receiver.waitFor(
      'fork pull_request opened',
      (d) =>
        event(d) === 'pull_request' &&
        asPull(d).action === 'opened' &&
        asPull(d).repository.full_name === 'dave/fleet' &&
        asPull(d).number === pr.number,
    );
    const { head, base } = asPull(d).pull_request;
    expect(head).toMatchObject({ ref: 'fork-change', sha });
    expect(head.repo).toMatchObject({
      full_name: 'erin/fleet',
      clone_url: fork.cloneURL,
      html_url: fork.htmlURL,
      fork: true,
    });
    expect(base.repo).toMatchObject({
      full_name: 'dave/fleet',
      clone_url: repo.cloneURL,
      fork: false,
    });
    expect((await pullRefs(repo))[`refs/pull/${pr.number}/head`]).toBe(sha);
    expectNoCredentials(d);
    fixture('pull-request-fork-opened', d);
  });
});
