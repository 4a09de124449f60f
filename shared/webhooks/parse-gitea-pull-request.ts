import * as z from 'zod';
import { GITEA_DELIVERY_HEADERS } from './parse-gitea.ts';
import type { PullRequestEvent } from './pull-request-event.ts';
import type { Ignored } from './push-event.ts';
import { pullRefEvent } from './pull-ref-event.ts';
import { actionFrom, FullSha, readPullRequest } from './read-pull-request.ts';

/**
 * Gitea names the event `pull_request` for every kind of change (opened,
 * synchronized, labeled, assigned...); `X-Gitea-Event-Type` tells them apart
 * but the action in the payload says the same.
 */
export const isGiteaPullRequest = (headers: Headers) =>
  headers.get('x-gitea-event') === 'pull_request';

const GiteaAction = z.object({ action: z.string() });

const GiteaPullRequest = z.object({
  number: z.number().int().positive(),
  pull_request: z.object({
    head: z.object({
      sha: FullSha,
      // Null when the head repository was deleted.
      repo: z.object({ id: z.number().int() }).nullish(),
    }),
    base: z.object({
      ref: z.string().min(1),
      repo: z.object({
        id: z.number().int(),
        html_url: z.string().nullish(),
        clone_url: z.string().nullish(),
        ssh_url: z.string().nullish(),
        default_branch: z.string().nullish(),
      }),
    }),
  }),
});

/** Opened, reopened and synchronized (Gitea's spelling: new commits) ask for a preview. */
export function parseGiteaPullRequest(
  headers: Headers,
  rawBody: Buffer,
): PullRequestEvent | Ignored {
  const read = readPullRequest(headers, rawBody, {
    deliveryHeaders: GITEA_DELIVERY_HEADERS,
    action: GiteaAction,
    decide: ({ action }) =>
      actionFrom('pull request action', action, {
        opened: 'opened',
        reopened: 'reopened',
        synchronized: 'synchronize',
      }),
    payload: GiteaPullRequest,
  });
  if ('ignored' in read) return read;
  const { payload } = read;

  const { head, base } = payload.pull_request;
  return pullRefEvent('gitea', read, {
    number: payload.number,
    headSha: head.sha,
    base,
    fork: head.repo?.id !== base.repo.id,
  });
}
