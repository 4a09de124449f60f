import {
  CommentBody,
  CommentParams,
  CommentsQuery,
  DiffstatParams,
  DiffstatQuery,
  NoParams,
  NoQuery,
  PullRequestParams,
  StatusBody,
  StatusParams,
} from './bitbucket-requests.ts';
import { route, serveDocumented, type DocumentedRoute } from './documented-routes.ts';
import {
  startStandinServer,
  type RecordedRequest,
  type Reply,
  type StandinRequest,
} from './standin-server.ts';

/**
 * Bitbucket Cloud cannot run locally, so this stand-in keeps build
 * statuses, pull-request comments (with authors) and diffstats in memory
 * and answers in Bitbucket's shapes, checking every request against the
 * documented request shapes (bitbucket-requests.ts). Access tokens are
 * sent as Bearer, a username with an app password or API token as Basic:
 * https://developer.atlassian.com/cloud/bitbucket/rest/intro/#authentication
 */

export interface BitbucketUser {
  uuid: string;
  nickname: string;
}

export interface StoredComment {
  id: number;
  raw: string;
  author: BitbucketUser;
  deleted: boolean;
}

export interface StoredStatus {
  key: string;
  state: string;
  name: string | undefined;
  description: string | undefined;
  url: string;
}

export interface DiffStat {
  status: 'added' | 'removed' | 'modified' | 'renamed';
  old?: string;
  new?: string;
}

export interface BitbucketStandin {
  url: string;
  /** `${url}/2.0`. */
  apiURL: string;
  requests: RecordedRequest[];
  violations(): string[];
  /** A user reached by `Bearer <token>`, or by Basic `username:password`. */
  addUser(
    credential: { token: string } | { username: string; password: string },
    nickname: string,
  ): BitbucketUser;
  addComment(repo: string, id: number, author: BitbucketUser, raw: string, deleted?: boolean): void;
  setDiffstat(repo: string, id: number, changes: DiffStat[]): void;
  statuses(repo: string, commit: string): StoredStatus[];
  comments(repo: string, id: number): StoredComment[];
  stop(): Promise<void>;
}

/** The size of a diffstat page when `pagelen` is not given. */
const DIFFSTAT_PAGELEN = 500;

/** The revision range a pull request's diffstat redirects to: its source and destination commits. */
const specOf = (pull: number) => `${pull.toString(16).padStart(12, 'a')}..${'0'.repeat(12)}`;

const error = (status: number, message: string): Reply => ({
  status,
  body: { type: 'error', error: { message } },
});
const account = (u: BitbucketUser) => ({
  type: 'user',
  uuid: u.uuid,
  display_name: u.nickname,
  nickname: u.nickname,
  account_id: `acc-${u.nickname}`,
});

/** One page as Bitbucket pages: `values`, `page`, `pagelen`, `size`, and an absolute `next` while more remain. */
function paged(
  request: StandinRequest,
  items: unknown[],
  query: { page?: number; pagelen?: number },
  pagelen = 10,
): Reply {
  const length = query.pagelen ?? pagelen;
  const page = query.page ?? 1;
  const values = items.slice((page - 1) * length, page * length);
  const next = new URLSearchParams(request.query);
  next.set('page', String(page + 1));
  const more = page * length < items.length;
  const body = {
    values,
    page,
    pagelen: length,
    size: items.length,
    ...(more ? { next: `http://${request.headers.host}${request.path}?${next}` } : {}),
  };
  return { status: 200, body };
}

function callerOf(
  request: StandinRequest,
  users: Map<string, BitbucketUser>,
): BitbucketUser | undefined {
  const [scheme, credential] = (request.headers.authorization ?? '').split(' ');
  if (scheme === 'Bearer' && credential) return users.get(`bearer ${credential}`);
  if (scheme === 'Basic' && credential)
    return users.get(`basic ${Buffer.from(credential, 'base64').toString('utf8')}`);
  return undefined;
}

export async function startBitbucketStandin(): Promise<BitbucketStandin> {
  const users = new Map<string, BitbucketUser>();
  const statuses = new Map<string, StoredStatus[]>();
  const comments = new Map<string, StoredComment[]>();
  const diffstats = new Map<string, DiffStat[]>();
  let ids = 500;
  const at = () => new Date(Date.UTC(2025, 0, 1) + ids * 1000).toISOString();
  const key = (workspace: string, slug: string, n: number | string) => `${workspace}/${slug}#${n}`;
  // Who made the request being served; set just before its (synchronous) route runs.
  let caller: BitbucketUser;
  let api = '';

  const comment = (c: StoredComment) => ({
    type: 'pullrequest_comment',
    id: c.id,
    created_on: at(),
    updated_on: at(),
    deleted: c.deleted,
    pending: false,
    content: { type: 'rendered', raw: c.raw, markup: 'markdown', html: '' },
    user: account(c.author),
  });
  const saveComment = (
    params: { workspace: string; repo_slug: string; pull_request_id: number },
    created: StoredComment,
  ) => {
    const thread = key(params.workspace, params.repo_slug, params.pull_request_id);
    comments.set(thread, [...(comments.get(thread) ?? []), created]);
  };

  const routes: DocumentedRoute[] = [
    route({
      method: 'GET',
      path: '/2.0/user',
      params: NoParams,
      query: NoQuery,
      handle: () => ({ status: 200, body: account(caller) }),
    }),
    route({
      method: 'POST',
      path: '/2.0/repositories/:workspace/:repo_slug/commit/:commit/statuses/build',
      params: StatusParams,
      query: NoQuery,
      body: StatusBody,
      handle: ({ params, body }) => {
        const commit = key(params.workspace, params.repo_slug, params.commit);
        // "If the specified key already exists, the existing status object will be overwritten."
        const kept = (statuses.get(commit) ?? []).filter((s) => s.key !== body.key);
        const stored = {
          key: body.key,
          state: body.state,
          name: body.name,
          description: body.description,
          url: body.url,
        };
        statuses.set(commit, [...kept, stored]);
        return {
          status: 201,
          body: {
            type: 'build',
            uuid: `{${++ids}}`,
            ...stored,
            refname: body.refname ?? null,
            created_on: at(),
            updated_on: at(),
          },
        };
      },
    }),
    route({
      method: 'GET',
      path: '/2.0/repositories/:workspace/:repo_slug/pullrequests/:pull_request_id/comments',
      params: PullRequestParams,
      query: CommentsQuery,
      handle: ({ params, query, request }) => {
        const list =
          comments.get(key(params.workspace, params.repo_slug, params.pull_request_id)) ?? [];
        const ordered = query.sort === '-created_on' ? list.toReversed() : list;
        return paged(request, ordered.map(comment), query);
      },
    }),
    route({
      method: 'POST',
      path: '/2.0/repositories/:workspace/:repo_slug/pullrequests/:pull_request_id/comments',
      params: PullRequestParams,
      query: NoQuery,
      body: CommentBody,
      handle: ({ params, body }) => {
        const created = { id: ++ids, raw: body.content.raw, author: caller, deleted: false };
        saveComment(params, created);
        return { status: 201, body: comment(created) };
      },
    }),
    route({
      method: 'PUT',
      path: '/2.0/repositories/:workspace/:repo_slug/pullrequests/:pull_request_id/comments/:comment_id',
      params: CommentParams,
      query: NoQuery,
      body: CommentBody,
      handle: ({ params, body, violation }) => {
        const found = comments
          .get(key(params.workspace, params.repo_slug, params.pull_request_id))
          ?.find((c) => c.id === params.comment_id);
        if (!found) return error(404, 'No such comment');
        if (found.author.uuid !== caller.uuid) {
          violation(
            `edited comment ${found.id}, written by ${found.author.nickname}, as ${caller.nickname}`,
          );
          return error(403, 'You can only edit your own comments');
        }
        found.raw = body.content.raw;
        return { status: 200, body: comment(found) };
      },
    }),
    route({
      method: 'GET',
      path: '/2.0/repositories/:workspace/:repo_slug/pullrequests/:pull_request_id/diffstat',
      params: PullRequestParams,
      query: NoQuery,
      handle: ({ params }) => {
        const repository = `${api}/repositories/${encodeURIComponent(params.workspace)}/${encodeURIComponent(params.repo_slug)}`;
        const spec = specOf(params.pull_request_id);
        return { status: 302, headers: { location: `${repository}/diffstat/${spec}?topic=true` } };
      },
    }),
    route({
      method: 'GET',
      path: '/2.0/repositories/:workspace/:repo_slug/diffstat/:spec',
      params: DiffstatParams,
      query: DiffstatQuery,
      handle: ({ params, query, request }) => {
        const changes = diffstats.get(key(params.workspace, params.repo_slug, params.spec)) ?? [];
        const side = (path: string | undefined) =>
          path ? { type: 'commit_file', path, escaped_path: path } : null;
        const values = changes.map((c) => ({
          type: 'diffstat',
          status: c.status,
          lines_added: 1,
          lines_removed: 0,
          old: side(c.old),
          new: side(c.new),
        }));
        return paged(request, values, query, DIFFSTAT_PAGELEN);
      },
    }),
  ];

  const server = await startStandinServer((request, standin) => {
    const found = callerOf(request, users);
    if (!found) {
      standin.violation(`${request.method} ${request.path}: no valid Authorization`);
      return error(401, 'Unauthorized');
    }
    caller = found;
    return serveDocumented(routes, request, { error, violation: standin.violation });
  });
  api = `${server.url}/2.0`;

  return {
    url: server.url,
    apiURL: api,
    requests: server.requests,
    violations: server.violations,
    addUser(credential, nickname) {
      const created = { uuid: `{${++ids}-${nickname}}`, nickname };
      users.set(
        'token' in credential
          ? `bearer ${credential.token}`
          : `basic ${credential.username}:${credential.password}`,
        created,
      );
      return created;
    },
    addComment(repo, id, author, raw, deleted = false) {
      const [workspace, slug] = repo.split('/') as [string, string];
      saveComment(
        { workspace, repo_slug: slug, pull_request_id: id },
        { id: ++ids, raw, author, deleted },
      );
    },
    setDiffstat: (repo, id, changes) => diffstats.set(`${repo}#${specOf(id)}`, changes),
    statuses: (repo, commit) => statuses.get(`${repo}#${commit}`) ?? [],
    comments: (repo, id) => comments.get(`${repo}#${id}`) ?? [],
    stop: server.stop,
  };
}
