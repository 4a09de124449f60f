import { posix } from 'node:path';
import { normalizeRepoURL } from '../config/repo-url.ts';
import { isFullSha } from '../source/spec.ts';
import type { PullRequestEvent } from './pull-request-event.ts';
import type { PushEvent } from './push-event.ts';

/** What routing needs to know about a registered application. */
export interface RouteCandidate {
  name: string;
  repoURL: string;
  targetRevision: string;
  /** Directory inside the repository; `.` is the whole repository. */
  path: string;
  /** Other repository paths its last render read (a Kustomize overlay's bases); files or directories. */
  watchPaths?: string[];
  suspended?: boolean;
}

/**
 * The applications a push may change, in the order given: same repository
 * (compared by normalized URL), a revision that follows the pushed ref, and,
 * when the push lists its files, at least one file inside the application's
 * directory or among the paths its last render read. When in doubt an
 * application is included: an extra reconcile finds nothing to do, a missed
 * one waits for the next scheduled run.
 */
export function affectedApplications(push: PushEvent, apps: readonly RouteCandidate[]): string[] {
  const repos = new Set(push.repoURLs.map(repoKey).filter((key) => key !== undefined));
  const changed = push.changedPaths?.map(normalizePath);
  return (
    apps
      .filter(
        (app) =>
          !app.suspended &&
          repos.has(repoKey(app.repoURL) ?? '') &&
          followsRef(app.targetRevision, push) &&
          (changed === undefined ||
            [app.path, ...(app.watchPaths ?? [])].some((p) => touches(changed, normalizePath(p)))),
      )
      .map((app) => app.name)
      // One application with several Git sources is listed once.
      .filter((name, i, names) => names.indexOf(name) === i)
  );
}

/**
 * The applications a pull request may change once merged: same repository, a
 * revision that follows its base branch, not suspended. Paths are not
 * compared, since no forge lists a pull request's files in the event; the
 * preview narrows by them later.
 */
export function previewCandidates(pr: PullRequestEvent, apps: readonly RouteCandidate[]): string[] {
  const repos = new Set(pr.repoURLs.map(repoKey).filter((key) => key !== undefined));
  const base = {
    ref: { type: 'branch' as const, name: pr.baseBranch },
    defaultBranch: pr.defaultBranch,
  };
  const names = apps
    .filter(
      (app) =>
        !app.suspended &&
        repos.has(repoKey(app.repoURL) ?? '') &&
        followsRef(app.targetRevision, base),
    )
    .map((app) => app.name);
  return [...new Set(names)];
}

/** Undefined for a URL that cannot be parsed: it matches nothing. */
export function repoKey(url: string): string | undefined {
  try {
    return normalizeRepoURL(url);
  } catch {
    return undefined;
  }
}

export function followsRef(
  targetRevision: string,
  push: Pick<PushEvent, 'ref' | 'defaultBranch'>,
): boolean {
  // A pinned commit never moves, whatever is pushed.
  if (isFullSha(targetRevision)) return false;
  const { type, name } = push.ref;
  if (targetRevision === 'HEAD') {
    // Without the default branch in the payload, any branch might be it.
    return type === 'branch' && (push.defaultBranch === undefined || push.defaultBranch === name);
  }
  const fullRef = type === 'branch' ? `refs/heads/${name}` : `refs/tags/${name}`;
  return targetRevision === name || targetRevision === fullRef;
}

/** `./a/b/` → `a/b`, root → `.`, so paths compare segment by segment. */
function normalizePath(path: string): string {
  const normalized = posix.normalize(path.replace(/^\/+/, '')).replace(/\/+$/, '');
  return normalized === '' ? '.' : normalized;
}

function touches(changed: readonly string[], dir: string): boolean {
  return changed.some((file) => dir === '.' || file === dir || file.startsWith(`${dir}/`));
}
