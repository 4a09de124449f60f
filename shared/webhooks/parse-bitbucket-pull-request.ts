import * as z from 'zod';
import { decodeBody } from './decode-body.ts';
import { requireDeliveryId } from './headers.ts';
import { BITBUCKET_DELIVERY_HEADERS } from './parse-bitbucket.ts';
import type { PullRequestEvent } from './pull-request-event.ts';
import { parsePayload, repoURLs, type Ignored } from './push-event.ts';
import type { PullRequestAction } from './read-pull-request.ts';
import { GitRevision } from '../source/spec.ts';

/**
 * Bitbucket Cloud has no event for new commits alone: `pullrequest:updated`
 * fires for those and for any edit of the title, description or reviewers.
 * Every update is taken as a preview request; previewing an unchanged head
 * again is cheap and gives the same answer.
 */
const ACTIONS: Readonly<Record<string, PullRequestAction>> = {
  'pullrequest:created': 'opened',
  'pullrequest:updated': 'synchronize',
};

export const isBitbucketPullRequest = (headers: Headers) =>
  Object.hasOwn(ACTIONS, headers.get('x-event-key') ?? '');

// Bitbucket abbreviates the commits of a pull request to 12 hex digits.
const CommitHash = z
  .string()
  .regex(/^[0-9a-f]{12,40}$/, 'expected a commit hash of 12 to 40 hex digits');

const Repository = z.object({
  full_name: z.string(),
  links: z.object({ html: z.object({ href: z.string() }).optional() }).optional(),
});

const BitbucketPullRequest = z.object({
  pullrequest: z.object({
    id: z.number().int().positive(),
    source: z.object({
      // Read through `refs/heads/<name>` later: checked as any revision sent to Git.
      branch: z.object({ name: GitRevision }),
      commit: z.object({ hash: CommitHash }),
      // Absent once the fork the head came from is deleted.
      repository: Repository.nullish(),
    }),
    destination: z.object({
      branch: z.object({ name: GitRevision }),
      repository: Repository,
    }),
  }),
  repository: z.object({ mainbranch: z.object({ name: z.string() }).nullish() }).optional(),
});

/**
 * `pullrequest:created` and `pullrequest:updated`. The head SHA is the
 * abbreviated hash Bitbucket sends; whoever fetches the head resolves it
 * through `headRef`. A fork's branch lives in the fork only, so a fork gets
 * no `headRef`.
 */
export function parseBitbucketPullRequest(
  headers: Headers,
  rawBody: Buffer,
): PullRequestEvent | Ignored {
  const event = headers.get('x-event-key') ?? '';
  const action = Object.hasOwn(ACTIONS, event) ? ACTIONS[event] : undefined;
  if (!action) return { ignored: `${event} event` };
  const deliveryId = requireDeliveryId(headers, BITBUCKET_DELIVERY_HEADERS);
  const payload = parsePayload(BitbucketPullRequest, decodeBody(headers, rawBody));
  const { id, source, destination } = payload.pullrequest;
  const base = destination.repository;
  const fork = source.repository?.full_name !== base.full_name;
  const result: PullRequestEvent = {
    provider: 'bitbucket',
    deliveryId,
    action,
    repoURLs: repoURLs(
      [base.links?.html?.href, `https://bitbucket.org/${base.full_name}`],
      'pullrequest.destination.repository',
    ),
    number: id,
    headSha: source.commit.hash,
    baseBranch: destination.branch.name,
    fork,
  };
  if (!fork) result.headRef = `refs/heads/${source.branch.name}`;
  if (payload.repository?.mainbranch) result.defaultBranch = payload.repository.mainbranch.name;
  return result;
}
