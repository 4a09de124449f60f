import * as z from 'zod';
import { decodeBody } from './decode-body.ts';
import { requireDeliveryId } from './headers.ts';
import { PayloadError } from './payload-error.ts';
import {
  changedPaths,
  CommitFiles,
  isNullSha,
  parsePayload,
  parseRef,
  refDeleted,
  repoURLs,
  unroutableRef,
  type Ignored,
  type PushEvent,
} from './push-event.ts';

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
  const event = headers.get('x-github-event');
  if (event === null) throw new PayloadError(['missing X-GitHub-Event header']);
  if (event === 'ping') return { ignored: 'ping' };
  if (event !== 'push') return { ignored: `${event} event` };

  const deliveryId = requireDeliveryId(headers, GITHUB_DELIVERY_HEADERS);
  const push = parsePayload(GithubPush, decodeBody(headers, rawBody));
  const ref = parseRef(push.ref);
  if (!ref) return unroutableRef(push.ref);
  if (push.deleted || isNullSha(push.after)) return refDeleted(ref);

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
