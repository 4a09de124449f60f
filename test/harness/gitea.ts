import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { commitTree, type FileTree } from './git-fixtures.ts';
import { freePort, waitUntil } from './net.ts';
import { startProcess } from './processes.ts';
import { toolPath } from './tools.ts';

const run = promisify(execFile);

export interface GiteaUser {
  username: string;
  password: string;
  /** A personal access token with write:repository, write:issue and write:user. */
  token: string;
}

export interface GiteaRepo {
  owner: string;
  name: string;
  /** `http://127.0.0.1:PORT/OWNER/NAME.git` */
  cloneURL: string;
  /** `http://127.0.0.1:PORT/OWNER/NAME` */
  htmlURL: string;
  defaultBranch: string;
}

/** One entry of `GET /repos/{owner}/{repo}/statuses/{sha}` (the state is in `status`). */
export interface GiteaCommitStatus {
  id: number;
  status: string;
  context: string;
  description: string;
  target_url: string;
  creator: { login: string };
}

/** One entry of `GET /repos/{owner}/{repo}/issues/{index}/comments`. */
export interface GiteaComment {
  id: number;
  body: string;
  user: { login: string };
}

export interface Gitea {
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  url: string;
  /** The site administrator, made with `gitea admin user create`; its token has every scope. */
  admin: GiteaUser;
  /** One call of Gitea's REST API (`path` after `/api/v1`); rejects on a status of 400 or more. */
  api<T = unknown>(token: string, method: string, path: string, body?: unknown): Promise<T>;
  /** A user made by the administrator, with a password and a token of its own. */
  createUser(name: string): Promise<GiteaUser>;
  /** A repository of the token's user (default: initialized with a README on `main`). */
  createRepo(
    ownerToken: string,
    name: string,
    options?: { autoInit?: boolean; defaultBranch?: string; private?: boolean },
  ): Promise<GiteaRepo>;
  /** `OWNER/NAME` forked into the token's user. */
  forkRepo(token: string, owner: string, name: string): Promise<GiteaRepo>;
  /**
   * Pushes, with the real `git push` over HTTP (Basic `username:token`), a new
   * commit on `branch` whose tree is exactly `files` (git-fixtures' commitTree),
   * parented on the branch's head, or on `from`'s when the branch is new.
   * Resolves to the commit's SHA.
   */
  pushFiles(
    user: GiteaUser,
    repo: GiteaRepo,
    branch: string,
    files: FileTree,
    options?: { from?: string; message?: string },
  ): Promise<string>;
  /** A Gitea-type repository webhook sending JSON, signed with `secret`, for `events` on every branch. */
  createWebhook(
    token: string,
    owner: string,
    name: string,
    hook: { url: string; secret: string; events: string[] },
  ): Promise<{ id: number }>;
  /** `head` is a branch of the base repository or `USER:branch` of a fork. */
  createPullRequest(
    token: string,
    owner: string,
    name: string,
    pr: { head: string; base: string; title: string; body?: string },
  ): Promise<{ number: number; headSha: string }>;
  /** Every status of a commit, newest first, as the administrator reads them. */
  commitStatuses(owner: string, name: string, sha: string): Promise<GiteaCommitStatus[]>;
  /** The conversation comments of a pull request, oldest first. */
  pullRequestComments(owner: string, name: string, number: number): Promise<GiteaComment[]>;
  /** The last lines of Gitea's log, for failure messages. */
  logTail(lines?: number): string;
  /** Stops the server and removes its folder (database, repositories, log). */
  stop(): Promise<void>;
}

type IniSections = Record<string, Record<string, string | number | boolean>>;

/**
 * Cron tasks Gitea enables by default; several run at start-up, and none has a
 * place in a server that lives for one test file.
 */
const DEFAULT_CRON_TASKS = [
  'update_mirrors',
  'repo_health_check',
  'check_repo_stats',
  'archive_cleanup',
  'sync_external_users',
  'deleted_branches_cleanup',
  'update_migration_poster_id',
  'cleanup_hook_task_table',
  'cleanup_packages',
  'update_checker',
];

const TOKEN_SCOPES = ['write:repository', 'write:issue', 'write:user'];

function iniText(sections: IniSections): string {
  return Object.entries(sections)
    .map(([name, keys]) => {
      const lines = Object.entries(keys).map(([key, value]) => `${key} = ${String(value)}`);
      return [...(name ? [`[${name}]`] : []), ...lines, ''].join('\n');
    })
    .join('\n');
}

/** app.ini for a throw-away server: SQLite, installed, offline, nothing in the background. */
function giteaSettings(base: string, port: number, staticRoot: string): IniSections {
  const data = join(base, 'data');
  const settings: IniSections = {
    '': {
      APP_NAME: 'driftless-test',
      RUN_MODE: 'prod',
      WORK_PATH: base,
      // Gitea refuses to start as root without this; CI containers run as root.
      I_AM_BEING_UNSAFE_RUNNING_AS_ROOT: true,
    },
    server: {
      PROTOCOL: 'http',
      HTTP_ADDR: '127.0.0.1',
      HTTP_PORT: port,
      DOMAIN: '127.0.0.1',
      ROOT_URL: `http://127.0.0.1:${port}/`,
      APP_DATA_PATH: data,
      // The build has no bindata tag: templates and options are read from disk.
      STATIC_ROOT_PATH: staticRoot,
      // No SSH server, but payloads still carry an ssh_url; make it the usual shape.
      DISABLE_SSH: true,
      START_SSH_SERVER: false,
      SSH_USER: 'git',
      LFS_START_SERVER: false,
      OFFLINE_MODE: true,
    },
    database: { DB_TYPE: 'sqlite3', PATH: join(data, 'gitea.db') },
    security: {
      INSTALL_LOCK: true,
      // Webhooks are delivered to receivers on 127.0.0.1, which Gitea blocks by default.
      ALLOWED_HOST_LIST: 'loopback',
    },
    service: { DISABLE_REGISTRATION: true },
    repository: { DEFAULT_BRANCH: 'main' },
    mailer: { ENABLED: false },
    // In-memory queues: hook deliveries and pull request checks start at once, nothing on disk.
    queue: { TYPE: 'channel' },
    indexer: { ISSUE_INDEXER_TYPE: 'db' },
    webhook: { DELIVER_TIMEOUT: 5 },
    actions: { ENABLED: false },
    packages: { ENABLED: false },
    oauth2: { ENABLED: false },
    log: { MODE: 'console', LEVEL: 'warn', 'logger.router.MODE': '' },
  };
  for (const task of DEFAULT_CRON_TASKS) settings[`cron.${task}`] = { ENABLED: false };
  return settings;
}

function giteaError(what: string, status: number, body: string): Error {
  return new Error(`gitea ${what}: HTTP ${status}: ${body.trim().slice(0, 500)}`);
}

/** The administrator, made by the CLI (registration is closed and no one exists yet). */
async function createAdmin(bin: string, ini: string): Promise<GiteaUser> {
  const username = 'harness-admin';
  const password = randomBytes(18).toString('base64url');
  const { stdout } = await run(
    bin,
    [
      '--config',
      ini,
      'admin',
      'user',
      'create',
      '--admin',
      '--username',
      username,
      '--password',
      password,
      '--email',
      `${username}@example.com`,
      '--must-change-password=false',
      '--access-token',
      '--access-token-name',
      'harness',
      '--access-token-scopes',
      'all',
    ],
    { timeout: 30_000 },
  );
  const token = /Access token was successfully created\.\.\. ([0-9a-f]{40})/.exec(stdout)?.[1];
  if (!token) throw new Error(`gitea admin user create printed no token:\n${stdout}`);
  return { username, password, token };
}

/** Git's environment for one user: Basic auth in a header, so the token is in no URL or argument. */
function gitEnv(user: GiteaUser): NodeJS.ProcessEnv {
  const basic = Buffer.from(`${user.username}:${user.token}`).toString('base64');
  return {
    ...process.env,
    GIT_TERMINAL_PROMPT: '0',
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: 'http.extraHeader',
    GIT_CONFIG_VALUE_0: `Authorization: Basic ${basic}`,
  };
}

async function hasBranch(gitDir: string, branch: string): Promise<boolean> {
  try {
    await run('git', [
      '--git-dir',
      gitDir,
      'rev-parse',
      '--verify',
      '--quiet',
      `refs/heads/${branch}`,
    ]);
    return true;
  } catch {
    return false;
  }
}

interface ApiRepo {
  owner: { login: string };
  name: string;
  clone_url: string;
  html_url: string;
  default_branch: string;
}

const toRepo = (r: ApiRepo): GiteaRepo => ({
  owner: r.owner.login,
  name: r.name,
  cloneURL: r.clone_url,
  htmlURL: r.html_url,
  defaultBranch: r.default_branch,
});

/**
 * Gitea (built by build-tools.sh) on a free port of 127.0.0.1, over plain
 * HTTP, with SQLite and in-memory queues in a temp folder: a real forge whose
 * webhooks carry real signatures. About 2 s to start, so each test file that
 * needs it starts its own.
 */
export async function startGitea(): Promise<Gitea> {
  const bin = toolPath('gitea');
  const base = realpathSync(mkdtempSync(join(tmpdir(), 'driftless-gitea-')));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const ini = join(base, 'app.ini');
  writeFileSync(ini, iniText(giteaSettings(base, port, dirname(realpathSync(bin)))));
  const server = startProcess('gitea', bin, ['web', '--config', ini], {
    logFile: join(base, 'gitea.log'),
    cwd: base,
  });
  let admin: GiteaUser;
  try {
    await waitUntil(`gitea on ${url}`, async () => (await fetch(`${url}/api/v1/version`)).ok, {
      timeoutMs: 60_000,
      intervalMs: 50,
      abort: () => (server.exited ? `it exited:\n${server.logTail()}` : undefined),
    });
    admin = await createAdmin(bin, ini);
  } catch (err) {
    await server.stop();
    rmSync(base, { recursive: true, force: true });
    throw err;
  }

  const api = async <T>(
    token: string,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<T> => {
    const res = await fetch(`${url}/api/v1${path}`, {
      method,
      headers: {
        authorization: `token ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (res.status >= 400) throw giteaError(`${method} ${path}`, res.status, text);
    return (text ? JSON.parse(text) : undefined) as T;
  };

  const createUser: Gitea['createUser'] = async (name) => {
    const password = randomBytes(18).toString('base64url');
    await api(admin.token, 'POST', '/admin/users', {
      username: name,
      password,
      email: `${name}@example.com`,
      must_change_password: false,
    });
    // A user's tokens are made with the user's own password (Basic), not by the administrator.
    const res = await fetch(`${url}/api/v1/users/${encodeURIComponent(name)}/tokens`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${name}:${password}`).toString('base64')}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ name: 'harness', scopes: TOKEN_SCOPES }),
    });
    const text = await res.text();
    if (res.status !== 201) throw giteaError(`token for ${name}`, res.status, text);
    return { username: name, password, token: (JSON.parse(text) as { sha1: string }).sha1 };
  };

  const pushFiles: Gitea['pushFiles'] = async (user, repo, branch, files, options = {}) => {
    const local = join(base, 'push', repo.owner, `${repo.name}.git`);
    if (!existsSync(local)) {
      mkdirSync(local, { recursive: true });
      await run('git', ['init', '--quiet', '--bare', local]);
    }
    const env = gitEnv(user);
    const git = (...args: string[]) =>
      run('git', ['--git-dir', local, ...args], { env, timeout: 60_000 });
    await git('fetch', '--quiet', '--prune', repo.cloneURL, '+refs/heads/*:refs/heads/*');
    if (options.from !== undefined && !(await hasBranch(local, branch))) {
      await git('update-ref', `refs/heads/${branch}`, `refs/heads/${options.from}`);
    }
    const sha = commitTree(local, branch, files, options.message);
    await git('push', '--quiet', repo.cloneURL, `refs/heads/${branch}:refs/heads/${branch}`);
    return sha;
  };

  const repoPath = (owner: string, name: string): string =>
    `/repos/${encodeURIComponent(owner)}/${encodeURIComponent(name)}`;

  return {
    url,
    admin,
    api,
    createUser,
    async createRepo(ownerToken, name, options = {}) {
      const created = await api<ApiRepo>(ownerToken, 'POST', '/user/repos', {
        name,
        auto_init: options.autoInit ?? true,
        default_branch: options.defaultBranch ?? 'main',
        private: options.private ?? false,
      });
      return toRepo(created);
    },
    async forkRepo(token, owner, name) {
      return toRepo(await api<ApiRepo>(token, 'POST', `${repoPath(owner, name)}/forks`, {}));
    },
    pushFiles,
    async createWebhook(token, owner, name, hook) {
      const created = await api<{ id: number }>(token, 'POST', `${repoPath(owner, name)}/hooks`, {
        type: 'gitea',
        active: true,
        branch_filter: '*',
        events: hook.events,
        config: { url: hook.url, content_type: 'json', secret: hook.secret },
      });
      return { id: created.id };
    },
    async createPullRequest(token, owner, name, pr) {
      const created = await api<{ number: number; head: { sha: string } }>(
        token,
        'POST',
        `${repoPath(owner, name)}/pulls`,
        pr,
      );
      return { number: created.number, headSha: created.head.sha };
    },
    // The default order is by creation second, which ties within a test; `leastindex`
    // is, despite its name, by index descending (models/git/commit_status.go).
    commitStatuses: (owner, name, sha) =>
      api<GiteaCommitStatus[]>(
        admin.token,
        'GET',
        `${repoPath(owner, name)}/statuses/${sha}?sort=leastindex`,
      ),
    pullRequestComments: (owner, name, number) =>
      api<GiteaComment[]>(admin.token, 'GET', `${repoPath(owner, name)}/issues/${number}/comments`),
    logTail: (lines) => server.logTail(lines),
    async stop() {
      await server.stop();
      rmSync(base, { recursive: true, force: true });
    },
  };
}
