import * as z from 'zod';
import type { AuthCallback, GitCredentials } from '../source/index.ts';
import { CredentialScope, inScope } from './credential-scope.ts';

const Credentials = z.strictObject({ username: z.string().min(1), password: z.string().min(1) });

interface ScopedCredentials {
  scope: CredentialScope;
  credentials: GitCredentials;
}

const sameScope = (a: CredentialScope, b: CredentialScope) =>
  a.origin === b.origin && a.path === b.path;

/**
 * Git HTTPS credentials by repository URL prefix, as stored in one secret:
 * `{ "https://github.com/acme/": { "username": "x-access-token", "password": "..." } }`.
 * Parsed into scopes (see credential-scope.ts). Two prefixes that name the
 * same scope (`…/acme` and `…/acme/`) are refused: which one applied would
 * depend on the order of the keys in the JSON.
 */
export const GitCredentialMap = z
  .record(z.string(), z.unknown())
  .transform((map) => Object.entries(map))
  .pipe(z.array(z.tuple([CredentialScope, Credentials])))
  .transform((entries, ctx): ScopedCredentials[] => {
    const scoped = entries.map(([scope, credentials]) => ({ scope, credentials }));
    scoped.forEach(({ scope }, i) => {
      if (scoped.findIndex((other) => sameScope(other.scope, scope)) < i) {
        ctx.addIssue({
          code: 'custom',
          message: `two credential prefixes name ${scope.origin}${scope.path}`,
        });
      }
    });
    return scoped;
  });
export type GitCredentialMap = z.output<typeof GitCredentialMap>;

/** The credentials of the most specific scope that covers the URL, so a repository's entry wins over its organisation's. */
export function gitAuthFrom(map: GitCredentialMap): AuthCallback {
  const bySpecificity = map.toSorted((a, b) => b.scope.path.length - a.scope.path.length);
  return (url) => bySpecificity.find(({ scope }) => inScope(scope, url))?.credentials;
}
