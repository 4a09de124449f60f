import * as z from 'zod';
import { changedPaths, type FileChange } from './changed-paths.ts';
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
 * Gitea over plain requests rather than an SDK: four endpoints (statuses,
 * issue comments, pull request files, the user), all through forge-http.
 * Gitea stores a status's description and a comment as unbounded text and
 * documents no limit, so nothing is cut here.
 */

/** Gitea's default largest page (`[api] MAX_RESPONSE_ITEMS`, 50). */
const PAGE_LIMIT = 50;

/** Gitea has the same four states as Driftless (and `warning`, which it does not need). */
const STATE: Record<CommitState, string> = {
  pending: 'pending',
  success: 'success',
  failure: 'failure',
  error: 'error',
};

const User = z.object({ id: z.number() });
const Comment = z.object({
  id: z.number(),
  body: z.string(),
  user: z.object({ id: z.number() }).nullable(),
});
const ChangedFile = z.object({ filename: z.string(), previous_filename: z.string().optional() });

export function giteaClient(http: ForgeHttp): ForgeClient {
  const me = once(async () => (await http.read('/user', User)).value.id);
  const repository = ({ owner, name }: ForgeRepo) =>
    `/repos/${encodeURIComponent(owner)}/${encodeURIComponent(name)}`;

  /** Gitea lists an issue's comments whole (the endpoint has no pages), within forge-http's size bound. */
  const listComments = async (repo: ForgeRepo, index: number): Promise<ListedComment[]> => {
    const myId = await me();
    const target = `${repository(repo)}/issues/${index}/comments`;
    const comments = (await http.read(target, z.array(Comment))).value.slice(-MAX_LISTED_COMMENTS);
    return comments.map((c) => ({ id: c.id, body: c.body, own: c.user?.id === myId }));
  };

  async function* files(repo: ForgeRepo, index: number): AsyncGenerator<FileChange[]> {
    const first = `${repository(repo)}/pulls/${index}/files?limit=${PAGE_LIMIT}`;
    for await (const page of http.pages(first, z.array(ChangedFile), nextLink)) {
      yield page.map((f) => [f.previous_filename, f.filename] as const);
    }
  }

  return {
    kind: 'gitea',
    commentLimit: Number.POSITIVE_INFINITY,
    async setCommitStatus(repo: ForgeRepo, status: CommitStatus) {
      await http.json('POST', `${repository(repo)}/statuses/${status.sha}`, {
        state: STATE[status.state],
        context: status.context,
        description: status.description,
        ...(status.targetUrl ? { target_url: status.targetUrl } : {}),
      });
    },
    async upsertPullRequestComment(repo, index, marker, body) {
      const text = commentBody(marker, body, Number.POSITIVE_INFINITY, 'Gitea');
      const existing = ownMarkedComment(await listComments(repo, index), marker);
      if (existing)
        await http.json('PATCH', `${repository(repo)}/issues/comments/${existing.id}`, {
          body: text,
        });
      else await http.json('POST', `${repository(repo)}/issues/${index}/comments`, { body: text });
    },
    pullRequestFiles: (repo, index) => changedPaths(files(repo, index)),
  };
}
