import type { AppState, AppSummary, HealthStatus, SyncStatus } from './api/types.ts';

/** What the list shows of an application: one status, for a rollout the worst of its destinations. */
export interface ShownStatus {
  sync: SyncStatus | 'Disabled' | 'Never synced';
  health: HealthStatus;
  revision?: string;
  lastSync?: number;
  suspended: boolean;
}

const HEALTH_ORDER: HealthStatus[] = [
  'Healthy',
  'Suspended',
  'Progressing',
  'Unknown',
  'Missing',
  'Degraded',
];

function worstHealth(states: AppState[]): HealthStatus {
  return states.reduce<HealthStatus>(
    (worst, s) => (HEALTH_ORDER.indexOf(s.health) > HEALTH_ORDER.indexOf(worst) ? s.health : worst),
    'Healthy',
  );
}

export function shownStatus(app: AppSummary): ShownStatus {
  if (app.disabled) return { sync: 'Disabled', health: 'Unknown', suspended: false };
  const states = app.destinations
    ? app.destinations.flatMap((d) => (d.state ? [d.state] : []))
    : app.state
      ? [app.state]
      : [];
  if (!states.length)
    return { sync: 'Never synced', health: 'Unknown', suspended: Boolean(app.state?.suspended) };
  const sync: SyncStatus = states.every((s) => s.syncStatus === 'Synced')
    ? 'Synced'
    : states.some((s) => s.syncStatus === 'OutOfSync')
      ? 'OutOfSync'
      : 'Unknown';
  const revisions = [...new Set(states.map((s) => s.syncedRevision).filter(Boolean))];
  return {
    sync,
    health: worstHealth(states),
    revision: revisions.length === 1 ? revisions[0] : undefined,
    lastSync: Math.max(0, ...states.map((s) => s.timings?.finishedAt ?? 0)) || undefined,
    suspended: Boolean(app.state?.suspended ?? states.some((s) => s.suspended)),
  };
}

/** The clusters an application deploys to. */
export function clustersOf(app: AppSummary): string[] {
  return app.destinations
    ? app.destinations.map((d) => d.cluster)
    : app.cluster
      ? [app.cluster]
      : [];
}
