import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * The key that seals Secrets in the CLI's render cache, kept in the user's
 * config folder (0600), apart from the cache, so every command of this user
 * can reuse a render and nothing in the cache folder opens it. Undefined when
 * the folder cannot be written: each process then seals with a key of its own.
 */
export function cliSealKey(env: NodeJS.ProcessEnv = process.env): Buffer | undefined {
  const dir = join(env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config'), 'driftless');
  const file = join(dir, 'render-cache.key');
  try {
    const key = readFileSync(file);
    if (key.length === 32) return key;
  } catch {
    // Not made yet.
  }
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const key = randomBytes(32);
    writeFileSync(file, key, { mode: 0o600 });
    return key;
  } catch {
    return undefined;
  }
}
