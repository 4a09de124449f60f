import { checkoutPath } from './checkout.ts';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { ensureRepo, hasCommit, repoCache, retireCheckouts, type RepoCache } from './cache.ts';
import { PathNotFoundError } from './errors.ts';
import { fetchCommit } from './fetch.ts';
import { withLock } from './lock.ts';
import { openRemote, type RemoteOptions } from './remote.ts';
import { resolveRevisionWith } from './resolve-revision.ts';
import type { SourceSpec } from './spec.ts';

export interface SourceOptions extends RemoteOptions {
  /** Where fetched repositories and checkouts live; on Lambda a folder under /tmp, which survives warm invocations. */
  cacheDir: string;
  /**
   * `path` (default) writes only the application's path; `repository` writes
   * the whole tree, for renderers that may reach outside the path (a
   * Kustomize overlay's `../../base`), as Argo CD gives Kustomize the repo.
   */
  checkout?: 'path' | 'repository';
}

export interface SourceResult {
  /** The commit SHA the files come from. */
  revision: string;
  /** The full ref the revision was resolved from; absent when the spec names a SHA. */
  ref?: string;
  /** The application path of that commit, checked out alone. Treat it as read-only: other calls reuse it. */
  appDir: string;
  /** The whole tree's folder, when checked out with `checkout: 'repository'`; read-only as well. */
  repoDir?: string;
  /** Whether objects were downloaded; false when the commit was already cached. */
  fetched: boolean;
  /** Size of the pack received, 0 when nothing was fetched. */
  packBytes: number;
  durationMs: number;
}

async function appDirInRepository(
  cache: RepoCache,
  revision: string,
  context: { repoURL: string; revision: string; path: string },
): Promise<{ appDir: string; repoDir: string }> {
  const repoDir = await checkoutPath(cache, revision, { ...context, path: '.' });
  const appDir = join(repoDir, context.path);
  if (!statSync(appDir, { throwIfNoEntry: false })?.isDirectory()) {
    throw new PathNotFoundError(context, `commit ${revision} has no directory ${context.path}`);
  }
  return { appDir, repoDir };
}

/** Head lookup, then a fetch only when the commit is not cached, then a checkout of the path alone. */
export async function fetchSource(spec: SourceSpec, options: SourceOptions): Promise<SourceResult> {
  const started = performance.now();
  const remote = await openRemote(spec.repoURL, options);
  const resolved = await resolveRevisionWith(remote, spec);
  const context = { repoURL: spec.repoURL, revision: spec.targetRevision, path: spec.path };
  const cache = repoCache(options.cacheDir, spec.repoURL);

  return withLock(cache.gitdir, async () => {
    await ensureRepo(cache, spec.repoURL);
    let packBytes = 0;
    const fetched = !(await hasCommit(cache, resolved.revision));
    if (fetched) packBytes = await fetchCommit(remote, cache, resolved.revision, context);
    const dirs =
      options.checkout === 'repository'
        ? await appDirInRepository(cache, resolved.revision, context)
        : { appDir: await checkoutPath(cache, resolved.revision, context) };
    await retireCheckouts(cache, resolved.revision);
    return {
      revision: resolved.revision,
      ...(resolved.ref ? { ref: resolved.ref } : {}),
      ...dirs,
      fetched,
      packBytes,
      durationMs: Math.round(performance.now() - started),
    };
  });
}
