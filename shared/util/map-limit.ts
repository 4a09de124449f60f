export interface MapLimitStop<T, R> {
  /** Asked before each item is started: true leaves it and every later one unstarted. */
  stop: () => boolean;
  /** The result of an item left unstarted. */
  skipped: (item: T, index: number) => R;
}

/**
 * Maps `items` through `fn` with at most `limit` calls in flight, keeping the
 * input order in the output. Items are started lazily, one as another
 * finishes. Every item is attempted even if some fail, unless `until` says
 * to stop: then no further item starts (those in flight finish), and the
 * rest get `until.skipped`.
 */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
  until?: MapLimitStop<T, R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      const item = items[index] as T;
      results[index] = until?.stop() ? until.skipped(item, index) : await fn(item, index);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}
