import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULT_LEASE_TTL_MS } from '../shared/state/lease.ts';
import type { Busy } from '../shared/state/with-lease.ts';

/**
 * How long a command waits for a reconcile already running on the same
 * application: four lease TTLs (a minute). A holder that died without
 * releasing (a `kill -9`ed sync) leaves a lease that runs out within one TTL
 * of its last renewal, so this outlives it with more than a TTL to spare for
 * polls and a loaded machine (2 TTLs + margin would do), and a short
 * scheduled reconcile too.
 */
export const LEASE_WAIT_MS = 4 * DEFAULT_LEASE_TTL_MS;

/** Past the first busy answer's expiry hint, what a poll and a slow machine may take. */
const HINT_MARGIN_MS = 10_000;

/**
 * Runs `attempt` until it is not told "busy" or the wait runs out. A person
 * who asks for a sync or rollback while a scheduled reconcile holds the
 * application should wait a few seconds, not be refused. The wait is never
 * shorter than the first busy answer's own expiry hint plus a margin: a lease
 * taken with a longer TTL than ours (another deployment's settings) is
 * outlived as well.
 */
export async function whenFree<T extends { status: string }>(
  app: string,
  attempt: () => Promise<T | Busy>,
  quiet: boolean,
): Promise<T | Busy> {
  let deadline = Date.now() + LEASE_WAIT_MS;
  let told = false;
  for (;;) {
    const outcome = await attempt();
    if (outcome.status !== 'busy') return outcome;
    const busy = outcome as Busy;
    if (!told) {
      deadline = Math.max(deadline, Date.now() + busy.retryAfterMs + HINT_MARGIN_MS);
      if (!quiet)
        process.stderr.write(
          `waiting for ${app}: being reconciled by ${busy.holder ?? 'another process'}\n`,
        );
      told = true;
    }
    if (Date.now() >= deadline) return outcome;
    // Polled, not slept until the hint: a live holder releases before its expiry.
    await sleep(Math.min(2_000, Math.max(200, busy.retryAfterMs)));
  }
}
