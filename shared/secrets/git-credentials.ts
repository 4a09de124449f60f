import * as z from 'zod';
import type { AuthCallback } from '../source/index.ts';

/**
 * Git HTTPS credentials by repository URL prefix, as stored in one secret:
 * `{ "https://github.com/acme/": { "username": "x-access-token", "password": "..." } }`.
 */
export const GitCredentialMap = z.record(
  z.string().url(),
  z.strictObject({ username: z.string().min(1), password: z.string().min(1) }),
);
export type GitCredentialMap = z.output<typeof GitCredentialMap>;

/** The credentials of the longest matching prefix, so a repository-specific entry wins over an organisation's. */
export function gitAuthFrom(map: GitCredentialMap): AuthCallback {
  const prefixes = Object.keys(map).sort((a, b) => b.length - a.length);
  return (url) => {
    const prefix = prefixes.find((p) => url.startsWith(p));
    return prefix ? map[prefix] : undefined;
  };
}
