import { randomBytes } from 'node:crypto';
import { jwtProblem } from './github-app-jwt.ts';
import {
  commitStatus,
  diffEntry,
  integration,
  issueComment,
  publicUser,
  type ChangedFile,
  type GitHubActor,
  type GitHubAppInfo,
  type StoredComment,
  type StoredStatus,
} from './github-shapes.ts';
import { OpenApiDescription, type Matched } from './openapi-description.ts';
import {
  startStandinServer,
  type RecordedRequest,
  type Reply,
  type StandinRequest,
} from './standin-server.ts';

/**
 * GitHub cannot run locally, so this stand-in keeps statuses, comments
 * (with their authors) and pull-request files in memory and answers in
 * GitHub's shapes. Every request is checked against GitHub's published
 * OpenAPI description (@octokit/openapi): the operation found by method
 * and path template, its path and query parameters and its JSON body; so
 * are the stand-in's own answers. Whatever the description does not allow
 * is answered 4xx and kept in violations().
 */

export interface GitHubApp {
  appId: number;
  slug: string;
  installationId: number;
  publicKeyPem: string;
}

export interface GitHubStandinOptions {
  /** `/api/v3` to answer where GitHub Enterprise Server does; api.github.com's layout otherwise. */
  prefix?: string;
  /** The description file in @octokit/openapi/generated (GitHub Enterprise Server's for a GHES stand-in). */
  description?: 'api.github.com' | 'ghes-3.17';
}

export interface GitHubStandin {
  url: string;
  /** The API base a client is configured with. */
  apiURL: string;
  requests: RecordedRequest[];
  violations(): string[];
  /** A user whose token is `token`. */
  addUser(token: string, login: string): GitHubActor;
  /** An App and its bot user, `<slug>[bot]`. */
  addApp(app: GitHubApp): GitHubActor;
  /** A comment by `author`; `via` an App when a person wrote it through the App (user-to-server). */
  addComment(
    repo: string,
    issue: number,
    author: GitHubActor,
    body: string,
    via?: GitHubAppInfo,
  ): void;
  setPullRequestFiles(repo: string, pull: number, files: ChangedFile[]): void;
  statuses(repo: string, sha: string): StoredStatus[];
  comments(repo: string, issue: number): StoredComment[];
  /** How many installation tokens were issued. */
  tokensIssued(): number;
  stop(): Promise<void>;
}

const DOCS = 'https://docs.github.com/rest';
const COMMENT_LIMIT = 65536;
const DESCRIPTION_LIMIT = 140;
/** GitHub's "Responses include a maximum of 3000 files". */
const FILES_LIMIT = 3000;

const descriptions = new Map<string, OpenApiDescription>();
function descriptionOf(name: string): OpenApiDescription {
  let description = descriptions.get(name);
  if (!description) {
    description = OpenApiDescription.fromPackage(`@octokit/openapi/generated/${name}.deref.json`);
    descriptions.set(name, description);
  }
  return description;
}

/** Records a violation and answers `reply`. */
type Refuse = (message: string, reply: Reply) => Reply;

interface Caller {
  actor: GitHubActor;
  app: GitHubAppInfo | undefined;
}

const invalid = (errors: unknown[]): Reply => ({
  status: 422,
  body: { message: 'Validation Failed', errors, documentation_url: DOCS },
});
const notFound = (): Reply => ({
  status: 404,
  body: { message: 'Not Found', documentation_url: DOCS },
});

export async function startGitHubStandin(
  options: GitHubStandinOptions = {},
): Promise<GitHubStandin> {
  const prefix = options.prefix ?? '';
  const description = descriptionOf(options.description ?? 'api.github.com');
  const users = new Map<string, GitHubActor>();
  const installationTokens = new Map<string, Caller>();
  const apps: (GitHubApp & { bot: GitHubActor })[] = [];
  const statuses = new Map<string, StoredStatus[]>();
  const comments = new Map<string, StoredComment[]>();
  const files = new Map<string, ChangedFile[]>();
  const owner: GitHubActor = { login: 'acme', id: 1000, type: 'User' };
  let ids = 2000;
  const now = () => new Date(Date.UTC(2025, 0, 1) + ids * 1000).toISOString();
  const key = (repo: string, n: number | string) => `${repo.toLowerCase()}#${n}`;

  const server = await startStandinServer((request, standin) => {
    const fail: Refuse = (message, reply) => {
      standin.violation(`${request.method} ${request.path}: ${message}`);
      return reply;
    };
    if (!request.path.startsWith(`${prefix}/`)) return fail(`not under ${prefix}/`, notFound());
    const path = request.path.slice(prefix.length);
    const matched = description.match(
      request.method,
      path,
      request.query,
      request.body,
      request.headers['content-type'],
    );
    if (!matched) return fail("no such operation in GitHub's OpenAPI description", notFound());
    if (matched.problems.length > 0)
      return fail(matched.problems.join('; '), invalid(matched.problems));
    const reply = serve(matched, request, fail);
    const answerProblems = description.answerProblems(matched, reply.status, reply.body);
    if (answerProblems.length > 0)
      standin.violation(
        `the stand-in's answer to ${request.method} ${path}: ${answerProblems.join('; ')}`,
      );
    return reply;
  });
  const api = `${server.url}${prefix}`;

  function caller(request: StandinRequest, matched: Matched): Caller | string {
    const [scheme, credential] = (request.headers.authorization ?? '').split(' ');
    if (!credential) return 'no Authorization';
    if (matched.operation.operationId.startsWith('apps/')) {
      if (scheme?.toLowerCase() !== 'bearer') return `${scheme} where the App JWT belongs`;
      const problems = apps.map((a) =>
        jwtProblem(credential, a.appId, a.publicKeyPem, Math.floor(Date.now() / 1000)),
      );
      const app = apps[problems.indexOf(undefined)];
      return app
        ? { actor: app.bot, app: { id: app.appId, slug: app.slug } }
        : `App JWT refused: ${problems.join('; ')}`;
    }
    const user = users.get(credential);
    return user
      ? { actor: user, app: undefined }
      : (installationTokens.get(credential) ?? 'Bad credentials');
  }

  function serve(matched: Matched, request: StandinRequest, fail: Refuse): Reply {
    const who = caller(request, matched);
    if (typeof who === 'string')
      return fail(who, {
        status: 401,
        body: { message: 'Bad credentials', documentation_url: DOCS },
      });
    // The description made these required and coerced them, for the operations that have them.
    const params = matched.params as {
      owner: string;
      repo: string;
      sha: string;
      issue_number: number;
      comment_id: number;
      pull_number: number;
      installation_id: number;
    };
    const body = matched.body as Record<string, string | null | undefined>;
    const repo = `${params.owner}/${params.repo}`;
    switch (matched.operation.operationId) {
      case 'users/get-authenticated':
        if (who.app)
          return fail('GET /user with an installation token', {
            status: 403,
            body: { message: 'Resource not accessible by integration', documentation_url: DOCS },
          });
        return { status: 200, body: publicUser(api, who.actor, now()) };
      case 'apps/get-authenticated':
        return { status: 200, body: integration(api, who.app!, owner, now()) };
      case 'apps/create-installation-access-token':
        return issueToken(params.installation_id, who, fail);
      case 'repos/create-commit-status':
        return createStatus(repo, params.sha, body, who, fail);
      case 'issues/list-comments': {
        const listed = comments.get(key(repo, params.issue_number)) ?? [];
        return paged(request, listed, (c) =>
          issueComment(api, repo, params.issue_number, c, owner),
        );
      }
      case 'issues/create-comment':
        return writeComment(repo, params.issue_number, undefined, body.body!, who, fail);
      case 'issues/update-comment':
        return writeComment(repo, undefined, params.comment_id, body.body!, who, fail);
      case 'pulls/list-files': {
        const listed = (files.get(key(repo, params.pull_number)) ?? []).slice(0, FILES_LIMIT);
        return paged(request, listed, (f, i) => diffEntry(repo, f, i));
      }
      default:
        return fail(
          `${matched.operation.operationId} is in the description but this stand-in does not serve it`,
          { status: 501, body: { message: 'not served' } },
        );
    }
  }

  function issueToken(installation: number, who: Caller, fail: Refuse): Reply {
    const app = apps.find((a) => a.appId === who.app?.id);
    if (!app || app.installationId !== installation)
      return fail(`installation ${installation} is not the App's`, notFound());
    const token = `ghs_${randomBytes(18).toString('hex')}`;
    installationTokens.set(token, who);
    const expires = new Date(Date.now() + 3600_000).toISOString();
    return {
      status: 201,
      body: {
        token,
        expires_at: expires,
        permissions: { issues: 'write', statuses: 'write' },
        repository_selection: 'all',
      },
    };
  }

  function createStatus(
    repo: string,
    sha: string,
    body: Record<string, string | null | undefined>,
    who: Caller,
    fail: Refuse,
  ): Reply {
    if ((body.description?.length ?? 0) > DESCRIPTION_LIMIT) {
      return fail(
        'description over 140 characters',
        invalid([
          {
            resource: 'Status',
            code: 'custom',
            field: 'description',
            message: 'description is too long (maximum is 140 characters)',
          },
        ]),
      );
    }
    const status: StoredStatus = {
      id: ++ids,
      state: body.state!,
      context: body.context ?? 'default',
      description: body.description ?? null,
      targetUrl: body.target_url ?? null,
      creator: who.actor,
      at: now(),
    };
    statuses.set(key(repo, sha), [...(statuses.get(key(repo, sha)) ?? []), status]);
    return { status: 201, body: commitStatus(api, repo, sha, status) };
  }

  function writeComment(
    repo: string,
    issue: number | undefined,
    id: number | undefined,
    text: string,
    who: Caller,
    fail: Refuse,
  ): Reply {
    if (text.length > COMMENT_LIMIT) {
      return fail(
        'comment body over 65536 characters',
        invalid([
          {
            resource: 'IssueComment',
            code: 'unprocessable',
            field: 'data',
            message: 'Body is too long (maximum is 65536 characters)',
          },
        ]),
      );
    }
    if (issue !== undefined) {
      const created: StoredComment = {
        id: ++ids,
        body: text,
        author: who.actor,
        app: who.app,
        createdAt: now(),
        updatedAt: now(),
      };
      comments.set(key(repo, issue), [...(comments.get(key(repo, issue)) ?? []), created]);
      return { status: 201, body: issueComment(api, repo, issue, created, owner) };
    }
    const [thread, comment] =
      [...comments].flatMap(([k, list]) =>
        list.filter((c) => c.id === id).map((c) => [k, c] as const),
      )[0] ?? [];
    if (!thread || !comment) return fail(`comment ${id} does not exist`, notFound());
    if (comment.author.id !== who.actor.id) {
      return fail(
        `edited comment ${id}, written by ${comment.author.login}, as ${who.actor.login}`,
        {
          status: 403,
          body: {
            message: "the stand-in keeps others' comments as they are",
            documentation_url: DOCS,
          },
        },
      );
    }
    comment.body = text;
    comment.updatedAt = now();
    return {
      status: 200,
      body: issueComment(api, repo, Number(thread.split('#')[1]), comment, owner),
    };
  }

  return {
    url: server.url,
    apiURL: api,
    requests: server.requests,
    violations: server.violations,
    addUser(token, login) {
      const actor: GitHubActor = { login, id: ++ids, type: 'User' };
      users.set(token, actor);
      return actor;
    },
    addApp(app) {
      const bot: GitHubActor = { login: `${app.slug}[bot]`, id: ++ids, type: 'Bot' };
      apps.push({ ...app, bot });
      return bot;
    },
    addComment(repo, issue, author, body, via) {
      comments.set(key(repo, issue), [
        ...(comments.get(key(repo, issue)) ?? []),
        { id: ++ids, body, author, app: via, createdAt: now(), updatedAt: now() },
      ]);
    },
    setPullRequestFiles: (repo, pull, changed) => files.set(key(repo, pull), changed),
    statuses: (repo, sha) => statuses.get(key(repo, sha)) ?? [],
    comments: (repo, issue) => comments.get(key(repo, issue)) ?? [],
    tokensIssued: () => installationTokens.size,
    stop: server.stop,
  };
}

/**
 * One page of `items` as GitHub pages a listing: `per_page` (default 30,
 * at most 100) and `page`, with a `Link` header to the next and last pages.
 */
function paged<T>(
  request: StandinRequest,
  items: T[],
  shape: (item: T, index: number) => unknown,
): Reply {
  const perPage = Math.min(Number(request.query.get('per_page') ?? 30), 100);
  const page = Number(request.query.get('page') ?? 1);
  const start = (page - 1) * perPage;
  const body = items.slice(start, start + perPage).map((item, i) => shape(item, start + i));
  const last = Math.max(1, Math.ceil(items.length / perPage));
  const link = (n: number, rel: string) => {
    const query = new URLSearchParams(request.query);
    query.set('page', String(n));
    return `<http://${request.headers.host}${request.path}?${query}>; rel="${rel}"`;
  };
  const links = page < last ? [link(page + 1, 'next'), link(last, 'last')] : [];
  return { status: 200, body, headers: links.length > 0 ? { link: links.join(', ') } : {} };
}
