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

// Idempotency-Key (GitLab 17.4+) stays the same when GitLab retries a
// delivery; X-Gitlab-Event-UUID is what older versions send.
export const GITLAB_DELIVERY_HEADERS = ['idempotency-key', 'x-gitlab-event-uuid'] as const;

const PUSH_EVENTS = ['Push Hook', 'Tag Push Hook'];

/** A project as GitLab's hooks describe it (`project`, `repository`, a merge request's `target`). */
export const GitlabProject = z.object({
  git_http_url: z.string().nullish(),
  git_ssh_url: z.string().nullish(),
  web_url: z.string().nullish(),
  http_url: z.string().nullish(),
  ssh_url: z.string().nullish(),
  url: z.string().nullish(),
  homepage: z.string().nullish(),
  default_branch: z.string().nullish(),
});

/** Every URL form the given project descriptions carry. */
export function projectURLs(
  projects: readonly (z.output<typeof GitlabProject> | undefined)[],
): (string | null | undefined)[] {
  return projects.flatMap((p) =>
    p ? [p.git_http_url, p.git_ssh_url, p.web_url, p.http_url, p.ssh_url, p.url, p.homepage] : [],
  );
}

const GitlabPush = z.object({
  ref: z.string(),
  before: z.string(),
  after: z.string(),
  // The commit, also when `after` is an annotated tag object; null on deletion.
  checkout_sha: z.string().nullish(),
  // GitLab lists at most 20 commits and gives the real count here.
  total_commits_count: z.number().int().nonnegative().optional(),
  commits: z.array(CommitFiles).optional(),
  project: GitlabProject.optional(),
  repository: GitlabProject.optional(),
});

export function parseGitlab(headers: Headers, rawBody: Buffer): PushEvent | Ignored {
  const read = readPush(headers, rawBody, {
    eventHeader: 'X-Gitlab-Event',
    pushEvents: PUSH_EVENTS,
    deliveryHeaders: GITLAB_DELIVERY_HEADERS,
    payload: GitlabPush,
  });
  if ('ignored' in read) return read;
  const { deliveryId, push, ref } = read;

  const result: PushEvent = {
    provider: 'gitlab',
    deliveryId,
    repoURLs: repoURLs(projectURLs([push.project, push.repository])),
    ref,
    after: push.checkout_sha ?? push.after,
  };
  if (push.project?.default_branch) result.defaultBranch = push.project.default_branch;
  const commits = push.commits ?? [];
  if (
    ref.type === 'branch' &&
    !isNullSha(push.before) &&
    push.total_commits_count === commits.length
  ) {
    const paths = changedPaths(commits);
    if (paths) result.changedPaths = paths;
  }
  return result;
}
