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
  const event = headers.get('x-gitea-event');
  if (event === null) throw new PayloadError(['missing X-Gitea-Event header']);
  if (event !== 'push') return { ignored: `${event} event` };

  const deliveryId = requireDeliveryId(headers, GITEA_DELIVERY_HEADERS);
  const push = parsePayload(GiteaPush, decodeBody(headers, rawBody));
  const ref = parseRef(push.ref);
  if (!ref) return unroutableRef(push.ref);
  if (isNullSha(push.after)) return refDeleted(ref);

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
