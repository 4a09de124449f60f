import { writeState, type AppState } from '../state/app-state.ts';
import type { AppRecord } from '../state/head.ts';
import { readInventory, writeInventory } from '../state/inventory-store.ts';
import { inventoryDigest } from '../sync/inventory.ts';
import type { LeaseKeeper } from '../state/lease-keeper.ts';
import { canonicalJson } from '../sync/digest.ts';
import type { SyncResult } from '../sync/result.ts';
import { driftState } from './drift-state.ts';
import { recordRun } from './record-run.ts';
import type { AppRunInput, AppRunOutcome } from './types.ts';

/**
 * A scheduled reconcile at the revision last synced when no sync is due
 * (selfHeal off, or a manual app): a dry run at that revision, whose source
 * and render come from the caches and whose diff lists metadata and
 * dry-runs only objects whose resourceVersion moved. It records drift and
 * repairs nothing. State is written only when the check saw something new
 * (drift appeared, changed or cleared; health moved; the check failed), so
 * an app that stays in sync costs no write. When the cluster matches, the
 * outcome is the skip it has always been ('unchanged', 'held at ...').
 */
export async function checkDrift(
  input: AppRunInput,
  previousState: AppState,
  keeper: LeaseKeeper,
  check: { revision: string; reason: string },
  record: AppRecord,
): Promise<AppRunOutcome> {
  const { table, app } = input;
  const previous = await readInventory(table, input.stateKey ?? app.metadata.name);
  const { result } = await recordRun(input, keeper, {
    revision: check.revision,
    trigger: input.trigger,
    previous,
    previousRevision: previousState.syncedRevision,
    dryRun: true,
  });
  if (inventoryToRecord(result, record, input.settings.versionRecordAfterMs, table.now()))
    await writeInventory(table, keeper.current(), result.inventory);
  const state = driftState(previousState, result, Date.now());
  if (canonicalJson(state) !== canonicalJson(previousState))
    await writeState(table, keeper.current(), state);
  return checkOutcome(previousState, state, result, check);
}

/**
 * Whether a check has an inventory to record: an inventory from before the
 * head item kept its digest, or the live resourceVersions of objects a
 * controller wrote since (status) but that still match, once the inventory
 * is `afterMs` old. Recorded, later checks prove the objects unchanged from
 * the digest alone; an object whose status moves on every tick rewrites the
 * inventory at most that often.
 */
export function inventoryToRecord(
  result: SyncResult,
  record: AppRecord,
  afterMs: number,
  now: number,
): boolean {
  const pointer = record.inventory;
  if (result.status === 'Failed' || !pointer) return false;
  if (!pointer.digest) return true;
  const old = now - (pointer.writtenAt ?? 0) >= afterMs;
  return old && inventoryDigest(result.inventory.entries) !== pointer.digest;
}

/** Healths a commit's status can settle on; Progressing and Unknown pass and never downgrade one. */
const SETTLED = new Set(['Healthy', 'Suspended', 'Degraded', 'Missing']);

/**
 * The health a check found the synced revision settled on, when it changed
 * (a slow rollout now Healthy, a Degraded application recovered): the
 * commit's status on the forge follows it. None while a failed bake says
 * more than health does.
 */
function settledHealth(previousState: AppState, state: AppState, result: SyncResult) {
  if (result.status === 'Failed' || state.health === previousState.health) return undefined;
  if (!SETTLED.has(result.health.status)) return undefined;
  if (state.bake?.failed && state.bake.revision === state.syncedRevision) return undefined;
  return { settled: result.health };
}

/** The outcome of a drift check: the skip it has always been when the cluster matches. */
export function checkOutcome(
  previousState: AppState,
  state: AppState,
  result: SyncResult,
  check: { revision: string; reason: string },
): AppRunOutcome {
  const settled = settledHealth(previousState, state, result);
  if (result.status !== 'Failed' && state.driftedSince === undefined)
    return { status: 'skipped', reason: check.reason, revision: check.revision, ...settled };
  return {
    status: 'done',
    result,
    previousRevision: previousState.syncedRevision,
    ...settled,
    ...(state.driftedSince !== undefined
      ? {
          drift: {
            since: state.driftedSince,
            objects: state.drifted ?? [],
            count: state.driftedCount ?? state.drifted?.length ?? 0,
            detected: previousState.driftedSince === undefined,
          },
        }
      : {}),
  };
}
