import { withLease } from '../state/with-lease.ts';
import { checkWithoutLease } from './check-without-lease.ts';
import { runHeld } from './run-held.ts';
import type { AppRunInput, AppRunOutcome } from './types.ts';

/**
 * One reconcile of one application with its state: a scheduled one that only
 * finds the cluster as recorded ends without lease or write; otherwise it
 * takes the lease (or reports busy), skips cheaply when nothing changed, runs
 * the engine, and records inventory, history and state under the lease's
 * fencing token, so a reconciler that lost its lease cannot overwrite a
 * newer one's work.
 */
export async function runApplication(input: AppRunInput): Promise<AppRunOutcome> {
  const { table, app } = input;
  const name = input.stateKey ?? app.metadata.name;
  if (app.spec.suspend && input.mode === 'auto') return { status: 'skipped', reason: 'suspended' };
  const startedAt = Date.now();
  const check = await checkWithoutLease(input);
  if ('outcome' in check) return check.outcome;
  return withLease(
    table,
    name,
    { owner: input.owner, ttlMs: input.settings.leaseTtlMs },
    (record, keeper) => runHeld(check.leased, record, keeper, startedAt),
  );
}
