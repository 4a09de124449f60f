import { createHash } from 'node:crypto';

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
 * The digest is recorded only once the delivery's applications are on the
 * queue, and a delivery is dropped only when its digest is found recorded.
 * A copy whose enqueue failed (→ 500, the provider redelivers) leaves no
 * record, so the next copy is processed, however many copies failed before:
 * the store never claims a push was queued when it was not.
 *
 * Checking and recording are two requests, not one atomic step, so copies
 * that arrive together may all find nothing recorded and all be enqueued, as
 * may a copy that follows one whose record failed to be written. That is
 * harmless: reconciles are idempotent, and a repeated one finds nothing to do.
 */
export type Admission =
  /** No earlier copy is known to have been enqueued: process, then record. */
  | 'new'
  /** An earlier copy was enqueued: drop. */
  | 'duplicate'
  /** The check failed: process without deduplication rather than lose the push (then record). */
  | 'unchecked';

/** The dedupe key of a delivery: `sha256:` and the hex digest of the body as received. */
export function bodyDigest(body: Uint8Array): string {
  return `sha256:${createHash('sha256').update(body).digest('hex')}`;
}
