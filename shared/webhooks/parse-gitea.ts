import * as z from 'zod';
import {
  changedPaths,
  CommitFiles,
  isNullSha,
  repoURLs,
  type Ignored,
  type PushEvent,
} from './push-event.ts';
import { readPush } from './read-push.ts';

export const GITEA_DELIVERY_HEADERS = ['x-gitea-delivery'] as const;

const GiteaPush = z.object({
  ref: z.string(),
  before: z.string(),
  after: z.string(),
  // Gitea lists only the newest commits (UI.FEED_MAX_COMMIT_NUM, 5 by
  // default) and gives the real count here.
  total_commits: z.number().int().nonnegative().optional(),
  commits: z.array(CommitFiles).nullish(),
  head_commit: z.object({ id: z.string() }).nullish(),
  repository: z.object({
    html_url: z.string().nullish(),
    clone_url: z.string().nullish(),
    ssh_url: z.string().nullish(),
    default_branch: z.string().nullish(),
  }),
});

export function parseGitea(headers: Headers, rawBody: Buffer): PushEvent | Ignored {
  const read = readPush(headers, rawBody, {
    eventHeader: 'X-Gitea-Event',
    pushEvents: ['push'],
    deliveryHeaders: GITEA_DELIVERY_HEADERS,
    payload: GiteaPush,
  });
  if ('ignored' in read) return read;
  const { deliveryId, push, ref } = read;

  const repo = push.repository;
  const result: PushEvent = {
    provider: 'gitea',
    deliveryId,
    repoURLs: repoURLs([repo.html_url, repo.clone_url, repo.ssh_url]),
    ref,
    after: push.head_commit?.id ?? push.after,
  };
  if (repo.default_branch) result.defaultBranch = repo.default_branch;
  const commits = push.commits ?? [];
  if (ref.type === 'branch' && !isNullSha(push.before) && push.total_commits === commits.length) {
    const paths = changedPaths(commits);
    if (paths) result.changedPaths = paths;
  }
  return result;
}
