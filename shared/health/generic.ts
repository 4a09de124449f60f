import type { KubeObject } from '../kube/object.ts';
import { describeCondition, findCondition } from './conditions.ts';
import type { Health } from './status.ts';

/**
 * For kinds without a dedicated check (custom resources above all): a
 * controller that has not observed the latest generation is Progressing; a
 * Ready (or Available) condition decides otherwise; no status means nothing
 * to wait for.
 */
export function genericHealth(object: KubeObject): Health {
  const status = object.status as { observedGeneration?: number } | undefined;
  if (!status) return { status: 'Healthy' };
  if (
    status.observedGeneration !== undefined &&
    status.observedGeneration < (object.metadata.generation ?? 0)
  ) {
    return {
      status: 'Progressing',
      message: 'waiting for the controller to observe the latest spec',
    };
  }
  const stalled = findCondition(status, 'Stalled');
  if (stalled?.status === 'True')
    return { status: 'Degraded', message: describeCondition(stalled) };
  const ready = findCondition(status, 'Ready') ?? findCondition(status, 'Available');
  if (!ready) return { status: 'Healthy' };
  if (ready.status === 'True') return { status: 'Healthy' };
  if (ready.status === 'False') return { status: 'Degraded', message: describeCondition(ready) };
  return { status: 'Progressing', message: describeCondition(ready) };
}
