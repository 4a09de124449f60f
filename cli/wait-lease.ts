import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULT_LEASE_TTL_MS } from '../shared/state/lease.ts';
import type { Busy } from '../shared/state/with-lease.ts';

/**
 * How long a command waits for a reconcile already running on the same
 * application: several lease TTLs, so a holder that died without releasing
 * (a `kill -9`ed sync) is always outlived, and a short scheduled reconcile too.
 */
export const LEASE_WAIT_MS = 4 * DEFAULT_LEASE_TTL_MS;

/**
 * Runs `attempt` until it is not told "busy" or the wait runs out. A person
 * who asks for a sync or rollback while a scheduled reconcile holds the
 * application should wait a few seconds, not be refused.
 */
export async function whenFree<T extends { status: string }>(
  app: string,
  attempt: () => Promise<T | Busy>,
  quiet: boolean,
): Promise<T | Busy> {
  const deadline = Date.now() + LEASE_WAIT_MS;
  let told = false;
  for (;;) {
    const outcome = await attempt();
    if (outcome.status !== 'busy' || Date.now() >= deadline) return outcome;
    const busy = outcome as Busy;
    if (!told && !quiet) {
      process.stderr.write(
        `waiting for ${app}: being reconciled by ${busy.holder ?? 'another process'}\n`,
      );
      told = true;
    }
    // Polled, not slept until the hint: a live holder releases before its expiry.
    await sleep(Math.min(2_000, Math.max(200, busy.retryAfterMs)));
  }
}
