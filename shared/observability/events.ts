import type { ReconcileAppOutcome } from '../reconcile-app.ts';
import type { ReconcileMessage } from '../queue/message.ts';

export const EVENT_SOURCE = 'driftless';

export type DriftlessEventType =
  | 'Sync Succeeded'
  | 'Sync Failed'
  | 'Application Degraded'
  | 'Drift Repaired'
  | 'Rollback Performed';

/** An EventBridge event (source `driftless`); detail is small and has no secrets, so rules can match on it. */
export interface DriftlessEvent {
  detailType: DriftlessEventType;
  detail: {
    app: string;
    cluster: string;
    revision: string;
    previousRevision?: string;
    trigger: ReconcileMessage['trigger'];
    status: string;
    health: string;
    counts: Record<string, number>;
    error?: string;
    message?: string;
  };
}

/** The events one finished reconcile produces; a dry run (drift only recorded) produces none. */
export function eventsFor(
  outcome: Extract<ReconcileAppOutcome, { status: 'done' }>,
  message: ReconcileMessage,
): DriftlessEvent[] {
  const { result } = outcome;
  if (result.dryRun) return [];
  const detail: DriftlessEvent['detail'] = {
    app: result.app,
    cluster: result.cluster,
    revision: result.revision,
    ...(outcome.previousRevision ? { previousRevision: outcome.previousRevision } : {}),
    trigger: message.trigger,
    status: result.status,
    health: result.health.status,
    counts: result.counts,
    ...(result.error ? { error: result.error } : {}),
    ...(result.health.message ? { message: result.health.message } : {}),
  };
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
  return events;
}

export interface EventPublisher {
  publish(events: DriftlessEvent[]): Promise<void>;
}
