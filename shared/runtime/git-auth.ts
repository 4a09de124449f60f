import * as z from 'zod';
import { gitAuthFrom, GitCredentialMap } from '../secrets/git-credentials.ts';
import type { SecretCache } from '../secrets/secret-cache.ts';
import type { AuthCallback } from '../source/index.ts';

/** Git credentials from the configured secret, read lazily (only for a repository that needs them). */
export function gitAuth(
  secrets: SecretCache,
  secretId: string | undefined,
): AuthCallback | undefined {
  if (!secretId) return undefined;
  return async (url) => {
    const parsed = GitCredentialMap.safeParse(await secrets.json(secretId));
    if (!parsed.success)
      throw new Error(
        `secret ${secretId} is not a map of URL prefix → {username, password}:\n${z.prettifyError(parsed.error)}`,
      );
    return gitAuthFrom(parsed.data)(url);
  };
}
