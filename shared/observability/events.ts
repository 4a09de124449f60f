import { type AppRunOutcome } from '../app-run/types.ts';
import { DEFAULT_PROJECT_NAME } from '../config/project.ts';
import type { ReconcileMessage } from '../queue/message.ts';
import type { DriftedObject } from '../state/app-state.ts';
import type { SyncTrigger } from '../state/history.ts';
import type { SyncResult } from '../sync/result.ts';

export const EVENT_SOURCE = 'driftless';

export type DriftlessEventType =
  | 'Sync Succeeded'
  | 'Sync Failed'
  | 'Application Degraded'
  | 'Drift Repaired'
  | 'Drift Detected'
  | 'Rollback Performed';

/** An EventBridge event (source `driftless`); detail is small and has no secrets, so rules can match on it. */
export interface DriftlessEvent {
  detailType: DriftlessEventType;
  detail: {
    app: string;
    project: string;
    cluster: string;
    revision: string;
    previousRevision?: string;
    trigger: ReconcileMessage['trigger'] | SyncTrigger;
    status: string;
    health: string;
    counts: Record<string, number>;
    error?: string;
    message?: string;
    /** Drift Detected: when the drift was first seen (epoch ms) and the objects (refs and reasons, no values). */
    driftedSince?: number;
    drifted?: DriftedObject[];
  };
}

function detailOf(
  result: SyncResult,
  trigger: DriftlessEvent['detail']['trigger'],
  previousRevision: string | undefined,
  message: string | undefined,
): DriftlessEvent['detail'] {
  return {
    app: result.app,
    project: result.project ?? DEFAULT_PROJECT_NAME,
    cluster: result.cluster,
    revision: result.revision,
    previousRevision,
    trigger,
    status: result.status,
    health: result.health.status,
    counts: result.counts,
    error: result.error,
    message,
  };
}

/**
 * A drift check's event: `Drift Detected` once per episode, when the app
 * went from in sync to drifted; later checks that see the same (or changed)
 * drift produce none, as the state already says so.
 */
function driftEvents(
  outcome: Extract<AppRunOutcome, { status: 'done' }>,
  trigger: DriftlessEvent['detail']['trigger'],
): DriftlessEvent[] {
  const { drift, result } = outcome;
  if (!drift?.detected) return [];
  const detail = {
    ...detailOf(result, trigger, outcome.previousRevision, `${drift.count} object(s) drifted`),
    driftedSince: drift.since,
    drifted: drift.objects,
  };
  return [{ detailType: 'Drift Detected', detail }];
}

/**
 * The events one finished reconcile produces; a dry run produces none but
 * a drift check's `Drift Detected`. An automated rollback (a failed bake) adds its own
 * `Rollback Performed`, whose message is the reason.
 */
export function eventsFor(
  outcome: Extract<AppRunOutcome, { status: 'done' }>,
  message: ReconcileMessage,
): DriftlessEvent[] {
  const { result } = outcome;
  if (result.dryRun) return driftEvents(outcome, message.trigger);
  // A rollback the rollout made says why; anything else, what health says.
  const detail = detailOf(
    result,
    message.trigger,
    outcome.previousRevision,
    message.trigger.reason ?? result.health.message,
  );
  const events: DriftlessEvent[] = [];
  if (result.status === 'Failed') events.push({ detailType: 'Sync Failed', detail });
  else {
    const changed = result.counts.Created + result.counts.Configured + result.counts.Pruned;
    if (changed > 0 || result.revision !== outcome.previousRevision)
      events.push({ detailType: 'Sync Succeeded', detail });
    if (
      changed > 0 &&
      message.trigger.kind !== 'rollback' &&
      outcome.previousRevision === result.revision
    ) {
      events.push({ detailType: 'Drift Repaired', detail });
    }
  }
  if (message.trigger.kind === 'rollback' && result.status !== 'Failed')
    events.push({ detailType: 'Rollback Performed', detail });
  if (result.health.status === 'Degraded')
    events.push({ detailType: 'Application Degraded', detail });
  const automated = automatedRollbackEvent(outcome);
  if (automated) events.push(automated);
  return events;
}

/**
 * The event of a rollback the engine made on its own (a failed bake):
 * `Rollback Performed` with the reason as message, or `Sync Failed` when the
 * rollback sync itself failed.
 */
export function automatedRollbackEvent(
  outcome: Extract<AppRunOutcome, { status: 'done' }>,
): DriftlessEvent | undefined {
  const { rollback } = outcome;
  if (!rollback) return undefined;
  return {
    detailType: rollback.result.status === 'Failed' ? 'Sync Failed' : 'Rollback Performed',
    detail: detailOf(
      rollback.result,
      { kind: 'rollback', by: 'driftless', reason: rollback.reason },
      rollback.from,
      rollback.reason,
    ),
  };
}

export interface EventPublisher {
  publish(events: DriftlessEvent[]): Promise<void>;
}
