/**
 * Health of one object or a whole application, from best to worst as
 * aggregation sees it: the application is as healthy as its worst object.
 */
export type HealthStatus =
  'Healthy' | 'Suspended' | 'Progressing' | 'Missing' | 'Unknown' | 'Degraded';

export interface Health {
  status: HealthStatus;
  message?: string;
}

const SEVERITY: Record<HealthStatus, number> = {
  Healthy: 0,
  Suspended: 1,
  Progressing: 2,
  Unknown: 3,
  Missing: 4,
  Degraded: 5,
};

export function severity(status: HealthStatus): number {
  return SEVERITY[status];
}
