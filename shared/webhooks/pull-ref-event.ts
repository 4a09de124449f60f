import type { Provider } from './providers.ts';
import type { PullRequestEvent } from './pull-request-event.ts';
import { repoURLs } from './push-event.ts';

/** The base side of a GitHub-shaped pull request payload (GitHub's, and Gitea's copy of it). */
export interface PullRequestBase {
  ref: string;
  repo: {
    html_url?: string | null | undefined;
    clone_url?: string | null | undefined;
    ssh_url?: string | null | undefined;
    default_branch?: string | null | undefined;
  };
}

/**
 * The event of a forge that keeps every pull request's head, a fork's too,
 * at `refs/pull/N/head` of the base repository (GitHub, Gitea).
 */
export function pullRefEvent(
  provider: Provider,
  read: Pick<PullRequestEvent, 'deliveryId' | 'action'>,
  pr: { number: number; headSha: string; base: PullRequestBase; fork: boolean },
): PullRequestEvent {
  const { base } = pr;
  const result: PullRequestEvent = {
    provider,
    deliveryId: read.deliveryId,
    action: read.action,
    repoURLs: repoURLs(
      [base.repo.html_url, base.repo.clone_url, base.repo.ssh_url],
      'pull_request.base.repo',
    ),
    number: pr.number,
    headSha: pr.headSha,
    headRef: `refs/pull/${pr.number}/head`,
    baseBranch: base.ref,
    fork: pr.fork,
  };
  if (base.repo.default_branch) result.defaultBranch = base.repo.default_branch;
  return result;
}
