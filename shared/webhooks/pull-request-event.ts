import type { Provider } from './providers.ts';

/**
 * A pull (or merge) request that was opened, reopened or got new commits,
 * reduced to what a preview needs. Every URL and ref is the base
 * repository's: a fork's head is fetched from the base (its pull ref), never
 * from the fork's own URL, so no credential follows a name the payload chose.
 */
export interface PullRequestEvent {
  provider: Provider;
  deliveryId: string;
  action: 'opened' | 'reopened' | 'synchronize';
  /** Every clone and web URL form the payload gives for the base repository. */
  repoURLs: string[];
  /** GitHub and Gitea: the pull request number; GitLab: the merge request iid; Bitbucket: its id. */
  number: number;
  /**
   * The head commit the event is about: a full SHA, except from Bitbucket,
   * which sends only an abbreviated hash (12 hex digits, see PreviewMessage).
   * Whoever fetches the head resolves an abbreviated one through `headRef`;
   * the branch may have moved on since the event.
   */
  headSha: string;
  /**
   * A ref of the base repository that points at the head: `refs/pull/N/head`
   * (GitHub, Gitea), `refs/merge-requests/N/head` (GitLab),
   * `refs/heads/<branch>` (Bitbucket, same repository only); undefined when
   * the base repository has none (a Bitbucket fork).
   */
  headRef?: string;
  /** The branch the pull request would merge into. */
  baseBranch: string;
  defaultBranch?: string;
  /** The head lives in another repository than the base. */
  fork: boolean;
}
