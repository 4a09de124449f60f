import { destinationOf } from '../config/destinations.ts';
import { reconcile } from '../engine/reconcile.ts';
import type { AppState } from '../state/app-state.ts';
import { readApp, type AppRecord } from '../state/head.ts';
import { readInventory, rememberedInventory } from '../state/inventory-store.ts';
import { canonicalJson } from '../sync/digest.ts';
import type { SyncResult } from '../sync/result.ts';
import { chooseRevision, driftCheckReason } from './choose-revision.ts';
import { checkOutcome, inventoryToRecord } from './drift-check.ts';
import { driftState } from './drift-state.ts';
import { settledAt } from './skip-rule.ts';
import type { AppRunInput, AppRunOutcome } from './types.ts';

/** What the check before the lease decided: the outcome, when it needs no write; otherwise the input for the leased run. */
export type LeaseFreeCheck = { outcome: AppRunOutcome } | { leased: AppRunInput };

/**
 * A scheduled reconcile of an application settled at its synced commit only
 * looks for drift, and one that finds none (or the same drift as last time,
 * without self-heal) has nothing to write: it reads the head item, runs a dry
 * run that reads the inventory only if the live objects do not prove it, and
 * takes no lease, so it costs one read and no write. Anything else (a sync
 * due, a state that changes, drift to repair, resourceVersions to record, a
 * lease held by a running sync) goes to the leased run, which decides again
 * under the lease: this check never writes to the cluster or the table.
 */
export async function checkWithoutLease(input: AppRunInput): Promise<LeaseFreeCheck> {
  const leased = { leased: input };
  if (input.mode !== 'auto') return leased;
  const record = await readApp(input.table, input.stateKey ?? input.app.metadata.name);
  const state = record?.state;
  if (!record || !state || (record.lease && record.lease.expiresAt > input.table.now()))
    return leased;
  const chosen = await chooseRevision(input, record);
  if ('skip' in chosen) return { outcome: chosen.skip };
  // Handed over, the leased run resolves the branch again: a sync may have moved it meanwhile.
  const revision = chosen.revision;
  if (!revision || !settledAt(record, input.app, revision)) return leased;
  const result = await dryRunAt(input, record, revision);
  const after = driftState(state, result, Date.now());
  if (!nothingToWrite(input, record, after, result)) return leased;
  const check = { revision, reason: driftCheckReason(revision, chosen.hold) };
  return { outcome: checkOutcome(state, after, result, check) };
}

/**
 * The check changes no state, has no newer resourceVersions to record (see
 * inventoryToRecord) and, with self-heal, found no drift to repair.
 */
function nothingToWrite(
  input: AppRunInput,
  record: AppRecord,
  after: AppState,
  result: SyncResult,
): boolean {
  if (canonicalJson(after) !== canonicalJson(record.state)) return false;
  const { versionRecordAfterMs } = input.settings;
  if (inventoryToRecord(result, record, versionRecordAfterMs, input.table.now())) return false;
  return after.driftedSince === undefined || !input.app.spec.syncPolicy.automated?.selfHeal;
}

async function dryRunAt(
  input: AppRunInput,
  record: AppRecord,
  revision: string,
): Promise<SyncResult> {
  const recall = rememberedInventory(input.table, record);
  const { app } = input;
  return reconcile(app, {
    cluster: { name: destinationOf(app).cluster, connection: await input.connect() },
    settings: input.settings,
    project: input.project,
    request: { ...input.request, revision, dryRun: true },
    ...(recall ? { recall } : { previous: await readInventory(input.table, record.app) }),
    onProgress: input.onProgress,
    signal: input.signal,
  });
}
