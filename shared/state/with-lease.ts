import type { StateTable } from './client.ts';
import { LeaseLostError } from './errors.ts';
import type { AppRecord } from './head.ts';
import { keepLeaseAlive, type LeaseKeeper } from './lease-keeper.ts';
import { acquireLease, releaseLease, type AcquireResult } from './lease.ts';

export type Busy = Extract<AcquireResult, { status: 'busy' }>;

/**
 * Runs `work` while holding the application's lease, renewed at a third of
 * its time-to-live, and releases it afterwards; answers `busy` at once when
 * someone else holds it. `work` gets the head item as it was when the lease
 * was taken and the keeper, whose `current()` lease fences every write.
 */
export async function withLease<T>(
  table: StateTable,
  app: string,
  options: { owner: string; ttlMs: number },
  work: (record: AppRecord, keeper: LeaseKeeper) => Promise<T>,
): Promise<T | Busy> {
  const acquired = await acquireLease(table, app, options);
  if (acquired.status === 'busy') return acquired;
  const keeper = keepLeaseAlive(table, acquired.lease, {
    ttlMs: options.ttlMs,
    intervalMs: Math.floor(options.ttlMs / 3),
  });
  let result: T;
  try {
    result = await work(acquired.record, keeper);
  } catch (err) {
    await keeper.stop();
    // The failure matters more than a failed release; the lease expires anyway.
    await releaseLease(table, keeper.current()).catch(() => undefined);
    throw err;
  }
  await keeper.stop();
  try {
    await releaseLease(table, keeper.current());
  } catch (err) {
    // A lost lease needs no release; anything else is worth surfacing.
    if (!(err instanceof LeaseLostError)) throw err;
  }
  return result;
}
