import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { join } from 'node:path';
import * as git from 'isomorphic-git';

/** One repository's corner of the cache directory. */
export interface RepoCache {
  /** Bare repository holding every commit fetched so far (each shallow). */
  gitdir: string;
  /** `<commit>/<path hash>/`: one checked-out application path per revision. */
  checkouts: string;
}

/** The ref whose commit is offered as a "have", so the next fetch sends only what changed. */
export const LAST_FETCHED_REF = 'refs/driftless/last-fetched';

function hash(value: string): string {
  return createHash('sha256').update(value).digest('hex').slice(0, 16);
}

export function repoCache(cacheDir: string, repoURL: string): RepoCache {
  const root = join(cacheDir, hash(repoURL));
  return { gitdir: join(root, 'repo.git'), checkouts: join(root, 'checkouts') };
}

export function checkoutDir(cache: RepoCache, commit: string, path: string): string {
  return join(cache.checkouts, commit, hash(path));
}

/** Creates the bare repository on first use; built aside and renamed so a crash leaves none half-made. */
export async function ensureRepo(cache: RepoCache, repoURL: string): Promise<void> {
  if (fs.existsSync(join(cache.gitdir, 'config'))) return;
  const staging = `${cache.gitdir}.tmp-${randomBytes(4).toString('hex')}`;
  await git.init({ fs, gitdir: staging, bare: true });
  // fetch() needs a remote with a refspec, though we fetch commits, not branches.
  await git.addRemote({ fs, gitdir: staging, remote: 'origin', url: repoURL });
  await fs.promises.rename(staging, cache.gitdir);
}

export async function hasCommit(cache: RepoCache, commit: string): Promise<boolean> {
  try {
    await git.readCommit({ fs, gitdir: cache.gitdir, oid: commit });
    return true;
  } catch (error) {
    if ((error as { code?: string }).code === 'NotFoundError') return false;
    throw error;
  }
}

/** Checkouts of a commit no reconcile has used for this long are removed. */
export const CHECKOUT_IDLE_MS = 15 * 60_000;

/**
 * Marks the checkouts of `inUse` as used now and removes those of commits
 * unused for CHECKOUT_IDLE_MS, so a long-lived cache (a warm Lambda's /tmp,
 * where a Kustomize app's whole tree is written per commit) holds a few
 * trees rather than one per commit ever seen. A render follows its fetch at
 * once and is bounded by the tool timeout, far below the idle time, so a
 * checkout being read is never removed.
 */
export async function retireCheckouts(cache: RepoCache, inUse: string): Promise<void> {
  const now = new Date();
  await fs.promises.utimes(join(cache.checkouts, inUse), now, now).catch(() => undefined);
  let commits: string[];
  try {
    commits = await fs.promises.readdir(cache.checkouts);
  } catch {
    return;
  }
  for (const commit of commits) {
    if (commit === inUse) continue;
    const dir = join(cache.checkouts, commit);
    const stat = await fs.promises.stat(dir).catch(() => undefined);
    if (stat && now.getTime() - stat.mtimeMs > CHECKOUT_IDLE_MS) {
      await fs.promises.rm(dir, { recursive: true, force: true });
    }
  }
}
