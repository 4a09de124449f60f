import * as z from 'zod';
import { GITLAB_DELIVERY_HEADERS, GitlabProject, projectURLs } from './parse-gitlab.ts';
import type { PullRequestEvent } from './pull-request-event.ts';
import { repoURLs, type Ignored } from './push-event.ts';
import { actionFrom, FullSha, readPullRequest } from './read-pull-request.ts';

export const isGitlabMergeRequest = (headers: Headers) =>
  headers.get('x-gitlab-event') === 'Merge Request Hook';

const GitlabAction = z.object({
  object_attributes: z.object({
    action: z.string(),
    // Present only when the update moved the source branch (new commits, an applied suggestion).
    oldrev: z.string().nullish(),
  }),
});

const GitlabMergeRequest = z.object({
  // The project whose hook fired: for a merge request, its target.
  project: GitlabProject.optional(),
  object_attributes: z.object({
    iid: z.number().int().positive(),
    target_branch: z.string().min(1),
    source_project_id: z.number().int(),
    target_project_id: z.number().int(),
    target: GitlabProject.optional(),
    // Absent for a merge request without commits.
    last_commit: z.object({ id: FullSha }).nullish(),
  }),
});

/**
 * `X-Gitlab-Event: Merge Request Hook`: open, reopen, and an update that
 * brought new commits ask for a preview. GitLab sends `update` for every
 * edit (title, labels, assignees...); only `oldrev` tells a push apart.
 */
export function parseGitlabMergeRequest(
  headers: Headers,
  rawBody: Buffer,
): PullRequestEvent | Ignored {
  const read = readPullRequest(headers, rawBody, {
    deliveryHeaders: GITLAB_DELIVERY_HEADERS,
    action: GitlabAction,
    decide: ({ object_attributes: { action, oldrev } }) =>
      action === 'update' && !oldrev
        ? { ignored: 'merge request update without new commits' }
        : actionFrom('merge request action', action, {
            open: 'opened',
            reopen: 'reopened',
            update: 'synchronize',
          }),
    payload: GitlabMergeRequest,
  });
  if ('ignored' in read) return read;
  const { deliveryId, action, payload } = read;

  const mr = payload.object_attributes;
  if (!mr.last_commit) return { ignored: `merge request !${mr.iid} has no commits` };
  const result: PullRequestEvent = {
    provider: 'gitlab',
    deliveryId,
    action,
    repoURLs: repoURLs(projectURLs([payload.project, mr.target]), 'project'),
    number: mr.iid,
    headSha: mr.last_commit.id,
    // GitLab keeps every merge request's head in its target project, a fork's too.
    headRef: `refs/merge-requests/${mr.iid}/head`,
    baseBranch: mr.target_branch,
    fork: mr.source_project_id !== mr.target_project_id,
  };
  const defaultBranch = mr.target?.default_branch ?? payload.project?.default_branch;
  if (defaultBranch) result.defaultBranch = defaultBranch;
  return result;
}
