import { realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ensureCacheRoot } from './cache-root.ts';
import { checkoutPath, type CheckoutLimits } from './checkout.ts';
import { ensureRepo, hasCommit, repoCache, retireCheckouts, type RepoCache } from './cache.ts';
import { isNoSpace, NoSpaceError, PathNotFoundError } from './errors.ts';
import { fetchCommit } from './fetch.ts';
import type { RefusedLink } from './links.ts';
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
  /** Bounds on what one repository may make us download and write. */
  limits?: SourceLimits;
}

export type SourceLimits = NonNullable<RemoteOptions['limits']> & CheckoutLimits;

export interface SourceResult {
  /** The commit SHA the files come from. */
  revision: string;
  /** The full ref the revision was resolved from; absent when the spec names a SHA. */
  ref?: string;
  /** The application path of that commit, checked out alone. Treat it as read-only: other calls reuse it. */
  appDir: string;
  /** The whole tree's folder, when checked out with `checkout: 'repository'`; read-only as well. */
  repoDir?: string;
  /**
   * The folder nothing of this source may be read outside of: `repoDir` or
   * `appDir`, with every link resolved (realpath).
   */
  root: string;
  /** Links of `root` not written because they resolve outside it; paths relative to `root`. */
  refusedLinks: RefusedLink[];
  /** Whether objects were downloaded; false when the commit was already cached. */
  fetched: boolean;
  /** Size of the pack received, 0 when nothing was fetched. */
  packBytes: number;
  durationMs: number;
}

type Dirs = Pick<SourceResult, 'appDir' | 'repoDir' | 'root' | 'refusedLinks'>;

async function appDirInRepository(
  cache: RepoCache,
  revision: string,
  context: { repoURL: string; revision: string; path: string },
  limits: CheckoutLimits,
): Promise<Dirs> {
  const checkout = await checkoutPath(cache, revision, { ...context, path: '.' }, limits);
  const repoDir = realpathSync.native(checkout.dir);
  const appDir = join(repoDir, context.path);
  // The path itself may not pass through a link: the application's folder is what it names.
  if (
    !statSync(appDir, { throwIfNoEntry: false })?.isDirectory() ||
    realpathSync.native(appDir) !== appDir
  ) {
    throw new PathNotFoundError(context, `commit ${revision} has no directory ${context.path}`);
  }
  return { appDir, repoDir, root: repoDir, refusedLinks: checkout.refusedLinks };
}

async function appDirAlone(
  cache: RepoCache,
  revision: string,
  context: { repoURL: string; revision: string; path: string },
  limits: CheckoutLimits,
): Promise<Dirs> {
  const checkout = await checkoutPath(cache, revision, context, limits);
  const appDir = realpathSync.native(checkout.dir);
  return { appDir, root: appDir, refusedLinks: checkout.refusedLinks };
}

/** Head lookup, then a fetch only when the commit is not cached, then a checkout of the path alone. */
export async function fetchSource(spec: SourceSpec, options: SourceOptions): Promise<SourceResult> {
  try {
    return await fetchOnce(spec, options);
  } catch (error) {
    // A full disk fails wherever it strikes (pack, ref, checkout): name the folder, not the file.
    if (!isNoSpace(error)) throw error;
    const context = { repoURL: spec.repoURL, revision: spec.targetRevision, path: spec.path };
    throw new NoSpaceError(context, options.cacheDir, error);
  }
}

async function fetchOnce(spec: SourceSpec, options: SourceOptions): Promise<SourceResult> {
  const started = performance.now();
  const remote = await openRemote(spec.repoURL, options);
  const resolved = await resolveRevisionWith(remote, spec);
  const context = { repoURL: spec.repoURL, revision: spec.targetRevision, path: spec.path };
  ensureCacheRoot(options.cacheDir);
  const cache = repoCache(options.cacheDir, spec.repoURL);
  const limits = options.limits ?? {};

  return withLock(cache.gitdir, async () => {
    await ensureRepo(cache, spec.repoURL);
    let packBytes = 0;
    const fetched = !(await hasCommit(cache, resolved.revision));
    if (fetched) packBytes = await fetchCommit(remote, cache, resolved.revision, context);
    const dirs =
      options.checkout === 'repository'
        ? await appDirInRepository(cache, resolved.revision, context, limits)
        : await appDirAlone(cache, resolved.revision, context, limits);
    await retireCheckouts(cache, resolved.revision);
    return {
      revision: resolved.revision,
      ref: resolved.ref,
      ...dirs,
      fetched,
      packBytes,
      durationMs: Math.round(performance.now() - started),
    };
  });
}
