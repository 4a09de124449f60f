import * as z from 'zod';
import { GITHUB_DELIVERY_HEADERS } from './parse-github.ts';
import type { PullRequestEvent } from './pull-request-event.ts';
import { repoURLs, type Ignored } from './push-event.ts';
import { actionFrom, FullSha, readPullRequest } from './read-pull-request.ts';

export const isGithubPullRequest = (headers: Headers) =>
  headers.get('x-github-event') === 'pull_request';

const GithubAction = z.object({ action: z.string() });

const GithubPullRequest = z.object({
  number: z.number().int().positive(),
  pull_request: z.object({
    head: z.object({
      sha: FullSha,
      // Null once the fork the head came from is deleted.
      repo: z.object({ full_name: z.string() }).nullable(),
    }),
    base: z.object({
      ref: z.string().min(1),
      repo: z.object({
        full_name: z.string(),
        html_url: z.string().optional(),
        clone_url: z.string().optional(),
        ssh_url: z.string().optional(),
        default_branch: z.string().optional(),
      }),
    }),
  }),
});

/** `X-GitHub-Event: pull_request`: opened, reopened and synchronize (new commits) ask for a preview. */
export function parseGithubPullRequest(
  headers: Headers,
  rawBody: Buffer,
): PullRequestEvent | Ignored {
  const read = readPullRequest(headers, rawBody, {
    deliveryHeaders: GITHUB_DELIVERY_HEADERS,
    action: GithubAction,
    decide: ({ action }) =>
      actionFrom('pull request action', action, {
        opened: 'opened',
        reopened: 'reopened',
        synchronize: 'synchronize',
      }),
    payload: GithubPullRequest,
  });
  if ('ignored' in read) return read;
  const { deliveryId, action, payload } = read;

  const { head, base } = payload.pull_request;
  const result: PullRequestEvent = {
    provider: 'github',
    deliveryId,
    action,
    repoURLs: repoURLs(
      [base.repo.html_url, base.repo.clone_url, base.repo.ssh_url],
      'pull_request.base.repo',
    ),
    number: payload.number,
    headSha: head.sha,
    // GitHub keeps every pull request's head here, a fork's too.
    headRef: `refs/pull/${payload.number}/head`,
    baseBranch: base.ref,
    fork: head.repo === null || head.repo.full_name !== base.repo.full_name,
  };
  if (base.repo.default_branch) result.defaultBranch = base.repo.default_branch;
  return result;
}
