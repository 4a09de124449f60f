import type { StateTable } from './client.ts';
import { LeaseLostError } from './errors.ts';
import type { Lease } from './lease-proof.ts';
import { renewLease } from './lease.ts';

export interface KeepAliveOptions {
  ttlMs: number;
  /** Time between renewals; must leave room for a few failed attempts within one TTL. */
  intervalMs: number;
  onLost?: (error: LeaseLostError) => void;
}

export interface LeaseKeeper {
  /** The lease with its latest expiry. */
  current(): Lease;
  /** Aborted, with the `LeaseLostError` as reason, once the lease is lost. */
  readonly signal: AbortSignal;
  /** Stops renewing (call before releasing); resolves after any renewal in flight. */
  stop(): Promise<void>;
}

/**
 * Renews the lease on an interval while a long sync runs. Loss is reported
 * (signal aborted, `onLost` called) when a renewal is refused, or when the
 * lease's own expiry passes without a successful renewal, e.g. while the
 * table is unreachable: the holder must then assume someone else took over,
 * even though it cannot know.
 */
export function keepLeaseAlive(
  table: StateTable,
  lease: Lease,
  options: KeepAliveOptions,
): LeaseKeeper {
  if (options.intervalMs >= options.ttlMs)
    throw new RangeError(
      `renewal interval (${options.intervalMs} ms) must be shorter than the lease TTL (${options.ttlMs} ms)`,
    );
  const controller = new AbortController();
  let current = lease;
  let stopped = false;
  let inFlight: Promise<void> = Promise.resolve();
  let lastError: unknown;
  let renewTimer: NodeJS.Timeout | undefined;
  let expiryTimer: NodeJS.Timeout | undefined;

  const lose = (error: LeaseLostError): void => {
    if (stopped || controller.signal.aborted) return;
    stopped = true;
    clearTimeout(renewTimer);
    clearTimeout(expiryTimer);
    controller.abort(error);
    options.onLost?.(error);
  };

  const armExpiry = (): void => {
    clearTimeout(expiryTimer);
    expiryTimer = setTimeout(
      () =>
        lose(
          new LeaseLostError(
            { table: table.tableName, app: lease.app, operation: 'renew lease' },
            `lease of ${lease.owner} (token ${lease.token}) expired before it could be renewed`,
            lastError,
          ),
        ),
      Math.max(0, current.expiresAt - table.now()),
    );
  };

  const renew = async (): Promise<void> => {
    try {
      current = await renewLease(table, current, options.ttlMs);
      lastError = undefined;
      if (!stopped) armExpiry();
    } catch (err) {
      if (err instanceof LeaseLostError) return lose(err);
      // Transient failures (throttling past the SDK's retries, network) are
      // retried on the next tick; the expiry timer reports loss if they last.
      lastError = err;
    }
  };

  const schedule = (): void => {
    renewTimer = setTimeout(() => {
      inFlight = renew().then(() => {
        if (!stopped) schedule();
      });
    }, options.intervalMs);
  };

  armExpiry();
  schedule();
  return {
    current: () => current,
    signal: controller.signal,
    stop: async () => {
      stopped = true;
      clearTimeout(renewTimer);
      clearTimeout(expiryTimer);
      await inFlight;
    },
  };
}
