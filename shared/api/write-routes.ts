import * as z from 'zod';
import { isRollout } from '../config/destinations.ts';
import {
  resolveRollbackTarget,
  rollbackHistoryKey,
  RollbackTargetError,
} from '../control/rollback-target.ts';
import { setSuspended } from '../control/suspend.ts';
import { error, isResponse, ok, parseBody } from './respond.ts';
import type { ApiResponse, AppRoute } from './types.ts';

const RollbackBody = z.strictObject({
  revision: z.string().min(4).optional(),
  seq: z.number().int().positive().optional(),
});
const SuspendBody = z.strictObject({ reason: z.string().max(500).optional() });

/** Queued, never run here: the reconciler takes the lease like any other run. */
export async function syncApp({ req, deps, entry, name, now }: AppRoute): Promise<ApiResponse> {
  if (!entry.app) return error(409, `application ${name} is disabled: ${entry.error}`);
  await deps.queue.send([
    {
      message: {
        app: name,
        mode: 'sync',
        trigger: { kind: 'manual', by: req.caller },
        enqueuedAt: now,
      },
    },
  ]);
  return ok({ message: `sync of ${name} queued` }, 202);
}

export async function rollbackApp({ req, deps, entry, name, now }: AppRoute): Promise<ApiResponse> {
  const body = parseBody(RollbackBody, req.body);
  if (isResponse(body)) return body;
  if (!entry.app) return error(409, `application ${name} is disabled: ${entry.error}`);
  let target;
  try {
    target = await resolveRollbackTarget(deps.table, rollbackHistoryKey(entry.app), body);
  } catch (err) {
    if (err instanceof RollbackTargetError) return error(409, err.message);
    throw err;
  }
  // A rollout's destinations each have their own history numbers.
  const rollbackOf = isRollout(entry.app) ? undefined : target.seq;
  await deps.queue.send([
    {
      message: {
        app: name,
        mode: 'sync',
        revision: target.revision,
        trigger: { kind: 'rollback', by: req.caller, rollbackOf },
        enqueuedAt: now,
      },
    },
  ]);
  return ok(
    {
      message: `rollback of ${name} to ${target.revision} (history ${target.seq}) queued`,
      revision: target.revision,
      seq: target.seq,
    },
    202,
  );
}

/** Suspend or resume under the application's lease, so it never lands in the middle of a sync. */
export function setSuspendedRoute(suspend: boolean) {
  return async ({ req, deps, name }: AppRoute): Promise<ApiResponse> => {
    const body = parseBody(SuspendBody, req.body);
    if (isResponse(body)) return body;
    const outcome = await setSuspended(deps.table, name, suspend, {
      by: req.caller,
      owner: `api/${req.requestId}`,
      reason: body.reason,
    });
    if (outcome.status === 'busy')
      return error(
        409,
        `application ${name} is being reconciled; try again in ${Math.ceil(outcome.retryAfterMs / 1000)} s`,
      );
    return ok({ app: name, suspended: suspend });
  };
}
