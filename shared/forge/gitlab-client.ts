import * as z from 'zod';
import { changedPaths, type FileChange } from './changed-paths.ts';
import { cutText } from './cut-text.ts';
import { ForgeError } from './forge-error.ts';
import { nextLink, type ForgeHttp } from './forge-http.ts';
import {
  commentBody,
  MAX_LISTED_COMMENTS,
  ownMarkedComment,
  type ListedComment,
} from './marked-comment.ts';
import { once } from './once.ts';
import type { CommitState, CommitStatus, ForgeClient, ForgeRepo } from './types.ts';

/**
 * GitLab over plain requests rather than @gitbeaker/rest: the four things
 * asked of it (a status, notes, a merge request's diffs, the user) are a
 * handful of endpoints, which do not pay for an SDK, and plain requests
 * all go through forge-http's refusals.
 */

/** "Must be 255 characters or fewer" (description and target_url, commits API). */
const FIELD_LIMIT = 255;
/** Notes API: the body is "limited to 1,000,000 characters". */
const COMMENT_LIMIT = 1_000_000;
const PER_PAGE = 100;

/** GitLab's words: `running` for work under way, `failed` for a check that could not pass either way. */
const STATE: Record<CommitState, string> = {
  pending: 'running',
  success: 'success',
  failure: 'failed',
  error: 'failed',
};

const User = z.object({ id: z.number() });
const Note = z.object({
  id: z.number(),
  body: z.string(),
  system: z.boolean(),
  author: z.object({ id: z.number() }),
});
/** `changes_count` is a string: `"1000+"` when the merge request has more files than GitLab keeps. */
const MergeRequest = z.object({ changes_count: z.string().nullable() });
const Diff = z.object({ old_path: z.string(), new_path: z.string() });

const project = ({ owner, name }: ForgeRepo) =>
  `/projects/${encodeURIComponent(`${owner}/${name}`)}`;

/**
 * GitLab refuses to post `running` over a status that is already running
 * ("Cannot transition status via :run from :running"); the status is
 * then what we meant, so that answer is success.
 */
function alreadyInState(error: unknown, state: string): boolean {
  return (
    error instanceof ForgeError &&
    error.status === 400 &&
    new RegExp(`Cannot transition status via :\\w+ from :${state}\\b`).test(error.message)
  );
}

export function gitlabClient(http: ForgeHttp): ForgeClient {
  const me = once(async () => (await http.read('/user', User)).value.id);

  const listNotes = async (repo: ForgeRepo, iid: number): Promise<ListedComment[]> => {
    const myId = await me();
    const query = new URLSearchParams({
      sort: 'asc',
      order_by: 'created_at',
      per_page: String(PER_PAGE),
    });
    const listed: ListedComment[] = [];
    const first = `${project(repo)}/merge_requests/${iid}/notes?${query}`;
    for await (const notes of http.pages(first, z.array(Note), nextLink)) {
      listed.push(
        ...notes.map((n) => ({ id: n.id, body: n.body, own: !n.system && n.author.id === myId })),
      );
      if (listed.length >= MAX_LISTED_COMMENTS) break;
    }
    return listed;
  };

  async function* diffs(repo: ForgeRepo, iid: number): AsyncGenerator<FileChange[]> {
    const first = `${project(repo)}/merge_requests/${iid}/diffs?per_page=${PER_PAGE}`;
    for await (const page of http.pages(first, z.array(Diff), nextLink)) {
      yield page.map((d) => [d.old_path, d.new_path] as const);
    }
  }

  return {
    kind: 'gitlab',
    commentLimit: COMMENT_LIMIT,
    async setCommitStatus(repo: ForgeRepo, status: CommitStatus) {
      const state = STATE[status.state];
      const fits = status.targetUrl && status.targetUrl.length <= FIELD_LIMIT;
      const body = {
        state,
        name: status.context,
        description: cutText(status.description, FIELD_LIMIT),
        // A cut URL would lead somewhere else: one too long is left out.
        ...(fits ? { target_url: status.targetUrl } : {}),
      };
      try {
        await http.json('POST', `${project(repo)}/statuses/${status.sha}`, body);
      } catch (error) {
        if (!alreadyInState(error, state)) throw error;
      }
    },
    async upsertPullRequestComment(repo, iid, marker, body) {
      const text = commentBody(marker, body, COMMENT_LIMIT, 'GitLab');
      const existing = ownMarkedComment(await listNotes(repo, iid), marker);
      const notes = `${project(repo)}/merge_requests/${iid}/notes`;
      if (existing) await http.json('PUT', `${notes}/${existing.id}`, { body: text });
      else await http.json('POST', notes, { body: text });
    },
    async pullRequestFiles(repo, iid) {
      const { value: mr } = await http.read(`${project(repo)}/merge_requests/${iid}`, MergeRequest);
      if (mr.changes_count?.endsWith('+')) return undefined;
      return changedPaths(diffs(repo, iid));
    },
  };
}
