import type { StateTable } from '../state/client.ts';
import { writeState } from '../state/app-state.ts';
import { acquireLease, DEFAULT_LEASE_TTL_MS, releaseLease } from '../state/lease.ts';

export type ControlOutcome =
  | { status: 'done'; suspended: boolean }
  | { status: 'busy'; holder?: string; retryAfterMs: number };

/**
 * Suspends or resumes automated syncs of one application. The flag lives in
 * the application's state, written under the lease like every state change,
 * so it cannot race a reconcile that is writing state at the same moment.
 */
export async function setSuspended(
  table: StateTable,
  app: string,
  suspend: boolean,
  who: { by: string; owner: string; reason?: string },
): Promise<ControlOutcome> {
  const acquired = await acquireLease(table, app, {
    owner: who.owner,
    ttlMs: DEFAULT_LEASE_TTL_MS,
  });
  if (acquired.status === 'busy') return acquired;
  try {
    const state = acquired.record.state ?? {
      syncStatus: 'Unknown' as const,
      health: 'Unknown' as const,
    };
    // Resuming also lifts a rollback hold: a person has looked at the app.
    const { suspended: _suspended, hold, ...rest } = state;
    await writeState(
      table,
      acquired.lease,
      suspend
        ? {
            ...rest,
            // Suspending keeps a rollback hold; only resuming lifts it.
            hold,
            suspended: { by: who.by, at: table.now(), reason: who.reason },
          }
        : rest,
    );
    return { status: 'done', suspended: suspend };
  } finally {
    await releaseLease(table, acquired.lease);
  }
}
