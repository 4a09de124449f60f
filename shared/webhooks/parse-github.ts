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

export const GITHUB_DELIVERY_HEADERS = ['x-github-delivery'] as const;

// Webhook deliveries list at most 2,048 commits (the 20-commit cap applies to
// the Events API timeline only); a list that long may have been cut.
const MAX_COMMITS = 2048;

const GithubPush = z.object({
  ref: z.string(),
  before: z.string().optional(),
  after: z.string(),
  created: z.boolean().optional(),
  deleted: z.boolean().optional(),
  forced: z.boolean().optional(),
  // For an annotated tag `after` is the tag object; head_commit is its commit.
  head_commit: z.object({ id: z.string() }).nullish(),
  commits: z.array(CommitFiles).optional(),
  repository: z.object({
    html_url: z.string().optional(),
    clone_url: z.string().optional(),
    ssh_url: z.string().optional(),
    git_url: z.string().optional(),
    // In push payloads (only) this is the web URL rather than the API one.
    url: z.string().optional(),
    default_branch: z.string().optional(),
  }),
});

export function parseGithub(headers: Headers, rawBody: Buffer): PushEvent | Ignored {
  const read = readPush(headers, rawBody, {
    eventHeader: 'X-GitHub-Event',
    pushEvents: ['push'],
    quietEvents: ['ping'],
    deliveryHeaders: GITHUB_DELIVERY_HEADERS,
    payload: GithubPush,
    deleted: (push) => Boolean(push.deleted),
  });
  if ('ignored' in read) return read;
  const { deliveryId, push, ref } = read;

  const repo = push.repository;
  const result: PushEvent = {
    provider: 'github',
    deliveryId,
    repoURLs: repoURLs([repo.html_url, repo.clone_url, repo.ssh_url, repo.git_url, repo.url]),
    ref,
    after: push.head_commit?.id ?? push.after,
  };
  if (repo.default_branch) result.defaultBranch = repo.default_branch;
  // A new ref or a force push changes files no listed commit shows.
  const created = push.created || (push.before !== undefined && isNullSha(push.before));
  const commits = push.commits ?? [];
  if (ref.type === 'branch' && !created && !push.forced && commits.length < MAX_COMMITS) {
    const paths = changedPaths(commits);
    if (paths) result.changedPaths = paths;
  }
  return result;
}
