import { createHash } from 'node:crypto';
import type { Provider } from './providers.ts';

/**
 * A delivery is known by a SHA-256 of its raw body, per provider, not by its
 * delivery id header. Signatures cover the body alone, so whoever captured
 * one signed delivery could resend it under a fresh id and pass a dedupe
 * keyed on ids; the provider's own redelivery resends the same bytes, so the
 * digest recognises it too. GitLab's token is not computed over the body, but
 * the body is still what a replay repeats.
 *
 * A reused id with a different body is a new delivery and is processed: the
 * id is not signed, so it proves nothing about the payload, while a different
 * body that passed verification came from the holder of the secret. Refusing
 * it would only let a forged or buggy id header suppress a genuine push.
 *
 * Digests are recorded twice: when a body is received, and again (under
 * `<digest>#enqueued`) once its applications are on the queue. The only
 * primitive is an atomic check-and-record that cannot be undone, so with a
 * single record a delivery whose enqueue failed (→ 500, provider redelivers)
 * would be dropped as a duplicate and the push lost to the webhook path.
 * With two, a repeat is dropped only when an earlier copy is known to have
 * enqueued; otherwise it is processed again. The check of the second record
 * records it, so a repeat that fails to enqueue as well leaves the push to
 * the scheduler's next poll. The price is an occasional double enqueue (a
 * repeat racing the first attempt, a failed confirmation), which is harmless:
 * reconciles are idempotent and a repeated one finds nothing to do.
 */
export type Admission =
  /** First sight of the body: process, then confirm. */
  | 'new'
  /** Seen before, never confirmed (its enqueue failed or is still running): process again. */
  | 'redelivery'
  /** Seen and confirmed: drop. */
  | 'duplicate'
  /** The delivery store failed: process without deduplication rather than lose the push. */
  | 'unchecked';

/** Atomically records `key` for `provider`; false when it was already recorded. */
export type IsNewDelivery = (provider: Provider, key: string) => Promise<boolean>;

/** The dedupe key of a delivery: `sha256:` and the hex digest of the body as received. */
export function bodyDigest(body: Uint8Array): string {
  return `sha256:${createHash('sha256').update(body).digest('hex')}`;
}

const enqueuedMarker = (digest: string) => `${digest}#enqueued`;

export async function admitDelivery(
  isNewDelivery: IsNewDelivery,
  provider: Provider,
  digest: string,
): Promise<Admission> {
  if (await isNewDelivery(provider, digest)) return 'new';
  return (await isNewDelivery(provider, enqueuedMarker(digest))) ? 'redelivery' : 'duplicate';
}

export async function confirmDelivery(
  isNewDelivery: IsNewDelivery,
  provider: Provider,
  digest: string,
): Promise<void> {
  await isNewDelivery(provider, enqueuedMarker(digest));
}
