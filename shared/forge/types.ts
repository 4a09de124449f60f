/** The forges Driftless reports back to. */
export type ForgeKind = 'github' | 'gitlab' | 'bitbucket' | 'gitea';

/**
 * A commit status as Driftless means it; each client maps it to its forge's
 * words (GitLab `failed`, Bitbucket `SUCCESSFUL`, ...).
 */
export type CommitState = 'pending' | 'success' | 'failure' | 'error';

export interface CommitStatus {
  /** Full commit SHA. */
  sha: string;
  state: CommitState;
  /** `driftless/<app>[@<cluster>]` or `driftless/preview`; the key a later status replaces. */
  context: string;
  /** One line, no secrets; clients cut it to what their forge accepts. */
  description: string;
  /** The application's page in the UI or API. */
  targetUrl?: string;
}

/**
 * A repository on its forge, from the application's repoURL: GitHub and
 * Gitea `owner/name`, GitLab the full namespace path (`group/sub/project`),
 * Bitbucket `workspace/slug`.
 */
export interface ForgeRepo {
  /** Everything before the last path segment (GitLab: every group). */
  owner: string;
  name: string;
}

/** What Driftless asks of a forge; one client per credential scope. */
export interface ForgeClient {
  readonly kind: ForgeKind;
  /** The longest comment body the forge takes (characters); longer ones are cut with a note. */
  readonly commentLimit: number;
  setCommitStatus(repo: ForgeRepo, status: CommitStatus): Promise<void>;
  /**
   * Creates the pull request's comment whose body contains `marker` (an
   * HTML comment), or replaces the body of the one that exists, so a
   * preview is updated rather than repeated.
   */
  upsertPullRequestComment(
    repo: ForgeRepo,
    number: number,
    marker: string,
    body: string,
  ): Promise<void>;
  /**
   * Paths the pull request changes (both sides of a rename), or undefined
   * when the forge lists more than it will page through; routing then
   * includes every application of the repository.
   */
  pullRequestFiles(repo: ForgeRepo, number: number): Promise<string[] | undefined>;
}

/** A client and the repository it is for, as found for an application's repoURL. */
export interface ForgeTarget {
  client: ForgeClient;
  repo: ForgeRepo;
}

/** The forge client for a repository URL, or undefined when no credentials cover it. */
export type ForgeLookup = (repoURL: string) => ForgeTarget | undefined;
