import type { Provider } from './providers.ts';

/**
 * Delivery ids are recorded twice: when a delivery is received, and again
 * (under `<id>#enqueued`) once its applications are on the queue. The only
 * primitive is an atomic check-and-record that cannot be undone, so with a
 * single record a delivery whose enqueue failed (→ 500, provider redelivers
 * with the same id) would be dropped as a duplicate and the push lost to
 * the webhook path. With two, a redelivery is dropped only when its
 * predecessor is known to have enqueued; otherwise it is processed again.
 * The price is an occasional double enqueue (a redelivery racing the first
 * attempt, a failed confirmation), which is harmless: reconciles are
 * idempotent and a repeated one finds nothing to do.
 */
export type Admission =
  /** First sight of the id: process, then confirm. */
  | 'new'
  /** Seen before, never confirmed (its enqueue failed or is still running): process again. */
  | 'redelivery'
  /** Seen and confirmed: drop. */
  | 'duplicate'
  /** The delivery store failed: process without deduplication rather than lose the push. */
  | 'unchecked';

export type IsNewDelivery = (provider: Provider, id: string) => Promise<boolean>;

const enqueuedMarker = (id: string) => `${id}#enqueued`;

export async function admitDelivery(
  isNewDelivery: IsNewDelivery,
  provider: Provider,
  id: string,
): Promise<Admission> {
  if (await isNewDelivery(provider, id)) return 'new';
  return (await isNewDelivery(provider, enqueuedMarker(id))) ? 'redelivery' : 'duplicate';
}

export async function confirmDelivery(
  isNewDelivery: IsNewDelivery,
  provider: Provider,
  id: string,
): Promise<void> {
  await isNewDelivery(provider, enqueuedMarker(id));
}
