import type { Application } from '../config/application.ts';
import type { PreviewMessage } from '../queue/message.ts';
import { isGitSource, type AppSource } from '../source/app-source-spec.ts';
import { isFullSha } from '../source/spec.ts';
import { followsRef, repoKey } from '../webhooks/route.ts';

/** Whether an application source is a Git source of the pull request's repository. */
export function isPullRequestSource(
  source: AppSource,
  pr: Pick<PreviewMessage, 'repoURLs'>,
): boolean {
  if (!isGitSource(source)) return false;
  const keys = new Set(pr.repoURLs.map(repoKey));
  return keys.has(repoKey(source.repoURL));
}

/** Whether a source follows the branch the pull request merges into (and so would get its files). */
const followsBase = (source: { targetRevision: string }, pr: PreviewMessage) =>
  followsRef(source.targetRevision, {
    ref: { type: 'branch', name: pr.baseBranch },
    ...(pr.defaultBranch ? { defaultBranch: pr.defaultBranch } : {}),
  });

/**
 * The application as it would be after the merge: every Git source of the
 * pull request's repository that follows its base branch reads the event's
 * head commit, fetched by its
 * SHA from the base repository (a fork's commit is reachable there from its
 * pull ref), never from the fork's URL; the other sources stay as they are.
 * The commit rather than the pull ref: a forge may move the ref after it
 * sends the event, and the preview must be of the commit the event names.
 */
export function headApplication(app: Application, pr: PreviewMessage): Application {
  // Bitbucket names the head by a short hash only: its branch then.
  const head = isFullSha(pr.headSha) ? pr.headSha : (pr.headRef ?? pr.headSha);
  const { source, sources } = app.spec;
  const atHead = (s: AppSource): AppSource =>
    isPullRequestSource(s, pr) && followsBase(s, pr) ? { ...s, targetRevision: head } : s;
  return {
    ...app,
    spec: {
      ...app.spec,
      ...(source ? { source: atHead(source) } : {}),
      ...(sources ? { sources: sources.map((e) => ({ ...e, source: atHead(e.source) })) } : {}),
    },
  };
}
