import * as z from 'zod';
import { CredentialScope, inScope } from '../secrets/credential-scope.ts';
import { defaultApiBase, webRoot } from './api-base.ts';
import { createForgeClient, type ClientOptions } from './forge-client.ts';
import { ForgeCredential, kindOf, type ScopedForgeCredential } from './forge-credential.ts';
import { forgeRepoFrom } from './forge-repo.ts';
import type { ForgeClient, ForgeLookup } from './types.ts';

const sameScope = (a: CredentialScope, b: CredentialScope) =>
  a.origin === b.origin && a.path === b.path;

function scoped(
  [scope, credential]: [CredentialScope, ForgeCredential],
  ctx: z.RefinementCtx,
): ScopedForgeCredential | undefined {
  const kind = kindOf(credential);
  const apiBase = credential.apiURL ?? defaultApiBase(kind, scope.origin);
  if (!apiBase) {
    ctx.addIssue({
      code: 'custom',
      message: `${scope.origin}${scope.path}: bitbucket credentials need apiURL off bitbucket.org`,
    });
    return undefined;
  }
  return { scope, credential, apiBase, webRoot: webRoot(kind, apiBase, scope.origin) };
}

/**
 * Forge credentials by repository URL prefix, as stored in one secret:
 * `{ "https://github.com/acme": { "type": "github", "token": "..." } }`.
 * Prefixes are parsed like Git credential prefixes (see
 * credential-scope.ts), and two that name the same scope are refused.
 */
export const ForgeCredentialMap = z
  .record(z.string(), z.unknown())
  .transform((map) => Object.entries(map))
  .pipe(z.array(z.tuple([CredentialScope, ForgeCredential])))
  .transform((entries, ctx): ScopedForgeCredential[] => {
    entries.forEach(([scope], i) => {
      if (entries.findIndex(([other]) => sameScope(other, scope)) < i) {
        ctx.addIssue({
          code: 'custom',
          message: `two forge credential prefixes name ${scope.origin}${scope.path}`,
        });
      }
    });
    return entries.flatMap((entry) => scoped(entry, ctx) ?? []);
  });
export type ForgeCredentialMap = z.output<typeof ForgeCredentialMap>;

export type ForgeLookupOptions = Partial<ClientOptions>;

/**
 * The forge client for a repository URL: the most specific scope that
 * covers it wins (as for Git credentials), and the repository is read from
 * the URL's path. One client per scope, kept for the lookup's lifetime, so
 * a GitHub App's installation token and a client's own identity are
 * fetched once.
 */
export function forgeLookup(
  map: ForgeCredentialMap,
  options: ForgeLookupOptions = {},
): ForgeLookup {
  const bySpecificity = map.toSorted((a, b) => b.scope.path.length - a.scope.path.length);
  const clients = new Map<ScopedForgeCredential, ForgeClient>();
  return (repoURL) => {
    const entry = bySpecificity.find(({ scope }) => inScope(scope, repoURL));
    const repo = entry && forgeRepoFrom(kindOf(entry.credential), repoURL, entry.webRoot);
    if (!entry || !repo) return undefined;
    let client = clients.get(entry);
    if (!client) {
      client = createForgeClient(entry, options);
      clients.set(entry, client);
    }
    return { client, repo };
  };
}

/**
 * Forge clients from the credentials document as read (a secret's JSON, a
 * file's), or an error naming `where` and each problem, never a value.
 */
export function forgeLookupFrom(json: unknown, where: string): ForgeLookup {
  const parsed = ForgeCredentialMap.safeParse(json);
  if (!parsed.success)
    throw new Error(
      `${where} is not a map of URL prefix → forge credentials:\n${z.prettifyError(parsed.error)}`,
    );
  return forgeLookup(parsed.data);
}
