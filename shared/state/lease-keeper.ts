import type { StateTable } from './client.ts';
import { LeaseLostError } from './errors.ts';
import type { Lease } from './lease-proof.ts';
import { renewLease } from './lease.ts';

export interface KeepAliveOptions {
  ttlMs: number;
  /** Time between renewals; must leave room for a few failed attempts within one TTL. */
  intervalMs: number;
  onLost?: (error: LeaseLostError) => void;
  /** Renew no more once this (epoch ms) has passed; see LeaseKeeper.holdUntil. */
  holdUntil?: number;
}

export interface LeaseKeeper {
  /** The lease with its latest expiry. */
  current(): Lease;
  /** Aborted, with the `LeaseLostError` as reason, once the lease is lost. */
  readonly signal: AbortSignal;
  /** Stops renewing (call before releasing); resolves after any renewal in flight. */
  stop(): Promise<void>;
  /**
   * Renews no more once `deadline` (epoch ms, the run's deadline) has passed:
   * a run still going then is stuck somewhere its deadline does not reach,
   * and its lease runs out within one TTL so another run can take over. Loss
   * is reported at that expiry (signal aborted), which stops the run's
   * cluster writes; a run that ends in time releases the lease as usual.
   */
  holdUntil(deadline: number): void;
}

function checkInterval(options: KeepAliveOptions): void {
  if (options.intervalMs >= options.ttlMs)
    throw new RangeError(
      `renewal interval (${options.intervalMs} ms) must be shorter than the lease TTL (${options.ttlMs} ms)`,
    );
}

function expired(table: StateTable, lease: Lease, lastError: unknown): LeaseLostError {
  return new LeaseLostError(
    { table: table.tableName, app: lease.app, operation: 'renew lease' },
    `lease of ${lease.owner} (token ${lease.token}) expired before it could be renewed`,
    lastError,
  );
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
  checkInterval(options);
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
      () => lose(expired(table, lease, lastError)),
      Math.max(0, current.expiresAt - table.now()),
    );
  };

  let holdUntil = options.holdUntil ?? Infinity;
  const renew = async (): Promise<void> => {
    if (Date.now() >= holdUntil) {
      lastError = new Error('not renewed: its run is past its deadline');
      return;
    }
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
        if (!stopped && Date.now() < holdUntil) schedule();
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
    holdUntil: (deadline) => {
      holdUntil = deadline;
    },
  };
}
