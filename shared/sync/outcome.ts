import type { Health } from '../health/status.ts';
import type { InventoryEntry } from './inventory.ts';
import type { SyncPlan } from './plan.ts';
import {
  countActions,
  type HookResult,
  type ObjectResult,
  type SyncFailurePhase,
  type SyncHeader,
  type SyncObjectsResult,
  type SyncStatus,
  type SyncStepTimings,
} from './result.ts';

/**
 * What a sync that writes has done so far; its write, prune and settle
 * phases add to it in turn.
 */
export interface SyncOutcome {
  status: SyncStatus;
  error?: string;
  phase?: SyncFailurePhase;
  objects: ObjectResult[];
  hooks: HookResult[];
  /** What the next sync must know about, by object key. */
  inventory: Map<string, InventoryEntry>;
  timings: SyncStepTimings;
}

export function startOutcome(timings: SyncStepTimings): SyncOutcome {
  return { status: 'Synced', objects: [], hooks: [], inventory: new Map(), timings };
}

/**
 * Marks the sync failed. The first failure stays the headline: later steps
 * mostly fail, or are skipped, because of it.
 */
export function markFailed(outcome: SyncOutcome, phase: SyncFailurePhase, error: string): void {
  outcome.status = 'Failed';
  outcome.phase ??= phase;
  outcome.error ??= error;
}

export function outcomeResult(
  header: SyncHeader,
  plan: SyncPlan,
  outcome: SyncOutcome,
  health: Health,
): SyncObjectsResult {
  return {
    ...header,
    status: outcome.status,
    error: outcome.error,
    phase: outcome.phase,
    objects: outcome.objects,
    counts: countActions(outcome.objects),
    hooks: outcome.hooks,
    health,
    inventory: {
      // A failed sync has not applied its revision, whatever it wrote.
      revision: outcome.status === 'Failed' ? plan.previous.revision : header.revision,
      entries: [...outcome.inventory.values()],
    },
    manifestDigest: plan.manifestDigest,
    timings: outcome.timings,
  };
}
