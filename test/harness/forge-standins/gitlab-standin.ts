import { route, serveDocumented, type DocumentedRoute } from './documented-routes.ts';
import {
  DiffsQuery,
  MergeRequestParams,
  MergeRequestQuery,
  NoParams,
  NoQuery,
  NoteBody,
  NoteParams,
  NotesQuery,
  NoteUpdate,
  StatusBody,
  StatusParams,
} from './gitlab-requests.ts';
import {
  startStandinServer,
  type RecordedRequest,
  type Reply,
  type StandinRequest,
} from './standin-server.ts';

/**
 * GitLab cannot run in these tests, so this stand-in keeps commit
 * statuses, merge request notes (with authors) and diffs in memory and
 * answers in GitLab's shapes, checking every request against the
 * documented request shapes (gitlab-requests.ts). Authentication is the
 * `PRIVATE-TOKEN` header: https://docs.gitlab.com/api/rest/authentication/
 */

export interface GitLabUser {
  id: number;
  username: string;
}

export interface StoredNote {
  id: number;
  body: string;
  author: GitLabUser;
  system: boolean;
}

export interface StoredStatus {
  status: string;
  name: string;
  description: string | null;
  target_url: string | null;
}

export interface Diff {
  old_path: string;
  new_path: string;
}

export interface GitLabStandin {
  url: string;
  /** `${url}/api/v4`. */
  apiURL: string;
  requests: RecordedRequest[];
  violations(): string[];
  addUser(token: string, username: string): GitLabUser;
  addNote(project: string, iid: number, author: GitLabUser, body: string, system?: boolean): void;
  /** `overflow`: more files than GitLab keeps, so `changes_count` reads "N+". */
  setMergeRequest(project: string, iid: number, diffs: Diff[], overflow?: boolean): void;
  statuses(project: string, sha: string): StoredStatus[];
  notes(project: string, iid: number): StoredNote[];
  stop(): Promise<void>;
}

const error = (status: number, message: string): Reply => ({ status, body: { message } });
const user = (u: GitLabUser) => ({
  id: u.id,
  username: u.username,
  name: u.username,
  state: 'active',
  avatar_url: null,
  web_url: `https://gitlab.example/${u.username}`,
});

/** GitLab's moves between states that refuse the same state again: `pending` is enqueued, `running` is run. */
const TRANSITION: Record<string, string> = { pending: 'enqueue', running: 'run' };

/** The page asked for, with GitLab's `Link` and `x-next-page` headers. */
function paged<T>(
  request: StandinRequest,
  items: T[],
  query: { page?: number; per_page?: number },
): Reply {
  const perPage = query.per_page ?? 20;
  const page = query.page ?? 1;
  const body = items.slice((page - 1) * perPage, page * perPage);
  const more = page * perPage < items.length;
  const next = new URLSearchParams(request.query);
  next.set('page', String(page + 1));
  const link = `<http://${request.headers.host}${request.path}?${next}>; rel="next"`;
  return {
    status: 200,
    body,
    headers: {
      'x-page': String(page),
      'x-next-page': more ? String(page + 1) : '',
      ...(more ? { link } : {}),
    },
  };
}

export async function startGitLabStandin(): Promise<GitLabStandin> {
  const tokens = new Map<string, GitLabUser>();
  const statuses = new Map<string, StoredStatus[]>();
  const notes = new Map<string, StoredNote[]>();
  const mergeRequests = new Map<string, { diffs: Diff[]; overflow: boolean }>();
  let ids = 100;
  const at = () => new Date(Date.UTC(2025, 0, 1) + ids * 1000).toISOString();
  const key = (project: string, n: number | string) => `${project}#${n}`;
  // Who made the request being served; set just before its (synchronous) route runs.
  let caller: GitLabUser;

  const note = (n: StoredNote, project: string, iid: number) => ({
    id: n.id,
    type: null,
    body: n.body,
    author: user(n.author),
    created_at: at(),
    updated_at: at(),
    system: n.system,
    noteable_id: iid,
    noteable_type: 'MergeRequest',
    noteable_iid: iid,
    project_id: 1,
    resolvable: false,
    confidential: false,
    internal: false,
    project_path: project,
  });

  const routes: DocumentedRoute[] = [
    route({
      method: 'GET',
      path: '/api/v4/user',
      params: NoParams,
      query: NoQuery,
      handle: () => ({ status: 200, body: user(caller) }),
    }),
    route({
      method: 'POST',
      path: '/api/v4/projects/:id/statuses/:sha',
      params: StatusParams,
      query: NoQuery,
      body: StatusBody,
      handle: ({ params, body }) => {
        const name = body.name ?? body.context ?? 'default';
        const list = statuses.get(key(params.id, params.sha)) ?? [];
        const latest = list.findLast((s) => s.name === name);
        const active = latest && (latest.status === 'pending' || latest.status === 'running');
        if (active && latest.status === body.state) {
          const via = TRANSITION[body.state];
          return error(
            400,
            `Cannot transition status via :${via} from :${latest.status} (Reason(s): Status cannot transition via "${via}")`,
          );
        }
        const stored = {
          status: body.state,
          name,
          description: body.description ?? null,
          target_url: body.target_url ?? null,
        };
        if (active) Object.assign(latest, stored);
        else statuses.set(key(params.id, params.sha), [...list, stored]);
        return {
          status: 201,
          body: {
            id: ++ids,
            sha: params.sha,
            ref: null,
            ...stored,
            created_at: at(),
            started_at: null,
            finished_at: null,
            allow_failure: false,
            coverage: null,
            author: user(caller),
          },
        };
      },
    }),
    route({
      method: 'GET',
      path: '/api/v4/projects/:id/merge_requests/:merge_request_iid/notes',
      params: MergeRequestParams,
      query: NotesQuery,
      handle: ({ params, query, request }) => {
        const list = notes.get(key(params.id, params.merge_request_iid)) ?? [];
        const ordered = query.sort === 'asc' ? list : list.toReversed();
        return paged(
          request,
          ordered.map((n) => note(n, params.id, params.merge_request_iid)),
          query,
        );
      },
    }),
    route({
      method: 'POST',
      path: '/api/v4/projects/:id/merge_requests/:merge_request_iid/notes',
      params: MergeRequestParams,
      query: NoQuery,
      body: NoteBody,
      handle: ({ params, body }) => {
        const created = { id: ++ids, body: body.body, author: caller, system: false };
        notes.set(key(params.id, params.merge_request_iid), [
          ...(notes.get(key(params.id, params.merge_request_iid)) ?? []),
          created,
        ]);
        return { status: 201, body: note(created, params.id, params.merge_request_iid) };
      },
    }),
    route({
      method: 'PUT',
      path: '/api/v4/projects/:id/merge_requests/:merge_request_iid/notes/:note_id',
      params: NoteParams,
      query: NoQuery,
      body: NoteUpdate,
      handle: ({ params, body, violation }) => {
        const found = (notes.get(key(params.id, params.merge_request_iid)) ?? []).find(
          (n) => n.id === params.note_id,
        );
        if (!found) return error(404, '404 Note Not Found');
        if (found.author.id !== caller.id) {
          violation(
            `edited note ${found.id}, written by ${found.author.username}, as ${caller.username}`,
          );
          return error(403, '403 Forbidden');
        }
        found.body = body.body;
        return { status: 200, body: note(found, params.id, params.merge_request_iid) };
      },
    }),
    route({
      method: 'GET',
      path: '/api/v4/projects/:id/merge_requests/:merge_request_iid',
      params: MergeRequestParams,
      query: MergeRequestQuery,
      handle: ({ params }) => {
        const mr = mergeRequests.get(key(params.id, params.merge_request_iid));
        if (!mr) return error(404, '404 Not found');
        const count = mr.overflow ? `${mr.diffs.length}+` : String(mr.diffs.length);
        return {
          status: 200,
          body: {
            id: 1,
            iid: params.merge_request_iid,
            project_id: 1,
            title: 'change',
            state: 'opened',
            changes_count: count,
          },
        };
      },
    }),
    route({
      method: 'GET',
      path: '/api/v4/projects/:id/merge_requests/:merge_request_iid/diffs',
      params: MergeRequestParams,
      query: DiffsQuery,
      handle: ({ params, query, request }) => {
        const diffs = mergeRequests.get(key(params.id, params.merge_request_iid))?.diffs ?? [];
        const shaped = diffs.map((d) => ({
          ...d,
          a_mode: '100644',
          b_mode: '100644',
          diff: '',
          new_file: false,
          renamed_file: d.old_path !== d.new_path,
          deleted_file: false,
          generated_file: false,
        }));
        return paged(request, shaped, query);
      },
    }),
  ];

  const server = await startStandinServer((request, standin) => {
    const token = request.headers['private-token'];
    const found = typeof token === 'string' ? tokens.get(token) : undefined;
    if (!found) {
      standin.violation(`${request.method} ${request.path}: no valid PRIVATE-TOKEN`);
      return error(401, '401 Unauthorized');
    }
    caller = found;
    return serveDocumented(routes, request, { error, violation: standin.violation });
  });

  return {
    url: server.url,
    apiURL: `${server.url}/api/v4`,
    requests: server.requests,
    violations: server.violations,
    addUser(token, username) {
      const created = { id: ++ids, username };
      tokens.set(token, created);
      return created;
    },
    addNote(project, iid, author, body, system = false) {
      notes.set(key(project, iid), [
        ...(notes.get(key(project, iid)) ?? []),
        { id: ++ids, body, author, system },
      ]);
    },
    setMergeRequest: (project, iid, diffs, overflow = false) =>
      mergeRequests.set(key(project, iid), { diffs, overflow }),
    statuses: (project, sha) => statuses.get(key(project, sha)) ?? [],
    notes: (project, iid) => notes.get(key(project, iid)) ?? [],
    stop: server.stop,
  };
}
