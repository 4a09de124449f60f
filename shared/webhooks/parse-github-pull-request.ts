import * as z from 'zod';
import { GITHUB_DELIVERY_HEADERS } from './parse-github.ts';
import type { PullRequestEvent } from './pull-request-event.ts';
import type { Ignored } from './push-event.ts';
import { pullRefEvent } from './pull-ref-event.ts';
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
  const { payload } = read;

  const { head, base } = payload.pull_request;
  return pullRefEvent('github', read, {
    number: payload.number,
    headSha: head.sha,
    base,
    fork: head.repo === null || head.repo.full_name !== base.repo.full_name,
  });
}
