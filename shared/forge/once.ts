/**
 * `load` run once and its result kept; a failure is not kept, so the next
 * call tries again (a forge that was down a moment must not stay "down").
 */
export function once<T>(load: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    pending ??= load().catch((error: unknown) => {
      pending = undefined;
      throw error;
    });
    return pending;
  };
}
