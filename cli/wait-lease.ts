import { setTimeout as sleep } from 'node:timers/promises';

interface Busy {
  status: 'busy';
  holder?: string;
  retryAfterMs: number;
}

/** How long a command waits for a reconcile already running on the same application. */
export const LEASE_WAIT_MS = 60_000;

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
    await sleep(Math.min(2_000, Math.max(200, busy.retryAfterMs)));
  }
}
