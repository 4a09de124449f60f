import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where a running `driftless serve` keeps the secret its API asks for. */
export function serveSecretFile(stateDir: string): string {
  return join(stateDir, 'api-secret');
}

/**
 * A new secret for this run of serve (256 random bits), in a file only this
 * user can read: whoever can read the state folder may drive the API, and
 * nobody else, in particular no web page the user visits.
 */
export function createServeSecret(stateDir: string): { secret: string; remove(): void } {
  const file = serveSecretFile(stateDir);
  const secret = randomBytes(32).toString('base64url');
  rmSync(file, { force: true });
  // 'wx' creates the file or fails: it never writes through a file or link
  // that appeared after the rmSync.
  writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  return { secret, remove: () => rmSync(file, { force: true }) };
}
