import { forgeLookupFrom } from '../forge/forge-credentials.ts';
import type { ForgeLookup } from '../forge/types.ts';
import type { SecretCache } from '../secrets/secret-cache.ts';

/**
 * Forge clients from the configured secret. The secret is re-read as the
 * cache expires, and the same clients are kept while its content is the
 * same, so a GitHub App's installation token outlives one invocation.
 */
export function secretForges(
  secrets: SecretCache,
  secretId: string | undefined,
): () => Promise<ForgeLookup | undefined> {
  if (!secretId) return async () => undefined;
  let memo: { raw: string; lookup: ForgeLookup } | undefined;
  return async () => {
    const value = await secrets.json(secretId);
    const raw = JSON.stringify(value);
    if (memo?.raw === raw) return memo.lookup;
    memo = { raw, lookup: forgeLookupFrom(value, `secret ${secretId}`) };
    return memo.lookup;
  };
}
