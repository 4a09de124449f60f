import * as fs from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * The cache folder for a person's commands: `$XDG_CACHE_HOME/driftless` or
 * `~/.cache/driftless`, never a shared temp folder where another local user
 * could plant a checkout first.
 */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME || join(env.HOME || homedir(), '.cache');
  return join(base, 'driftless');
}

export class CacheDirError extends Error {
  constructor(dir: string, problem: string) {
    super(
      `cache folder ${dir} ${problem}; pass another with --cache-dir or fix its owner and mode`,
    );
    this.name = new.target.name;
  }
}

const checked = new Set<string>();

/**
 * Creates the cache folder with mode 0700, or checks that an existing one is
 * a real folder owned by this user that no one else can write or read: what
 * it holds is trusted by every later reconcile. Checked once per process.
 */
export function ensureCacheRoot(dir: string): void {
  if (checked.has(dir)) return;
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stat = fs.lstatSync(dir);
  if (!stat.isDirectory()) throw new CacheDirError(dir, 'is not a folder (a link?)');
  const uid = process.getuid?.();
  if (uid !== undefined && stat.uid !== uid)
    throw new CacheDirError(dir, `belongs to user ${stat.uid}, not to this user (${uid})`);
  // Writable by others: anything inside may have been planted.
  if ((stat.mode & 0o022) !== 0)
    throw new CacheDirError(
      dir,
      `is writable by other users (mode ${(stat.mode & 0o777).toString(8)})`,
    );
  // Readable by others (made by an older version or by hand): close it.
  if ((stat.mode & 0o077) !== 0) fs.chmodSync(dir, 0o700);
  checked.add(dir);
}
