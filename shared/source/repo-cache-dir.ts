import { createHash } from 'node:crypto';

/**
 * A cache folder per repository (and chart): a digest is no secret, and
 * another repository's index or manifest naming it must not reach the bytes
 * cached for this one.
 */
export function repoCacheDir(repoURL: string, chart?: string): string {
  return createHash('sha256')
    .update(`${repoURL}\u0000${chart ?? ''}`)
    .digest('hex')
    .slice(0, 32);
}
