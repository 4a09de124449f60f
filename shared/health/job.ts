import type { KubeObject } from '../kube/object.ts';
import { describeCondition, findCondition } from './conditions.ts';
import type { Health } from './status.ts';

export function jobHealth(object: KubeObject): Health {
  const failed = findCondition(object.status, 'Failed');
  if (failed?.status === 'True') return { status: 'Degraded', message: describeCondition(failed) };
  const complete = findCondition(object.status, 'Complete');
  if (complete?.status === 'True') return { status: 'Healthy', message: 'completed' };
  if ((object.spec as { suspend?: boolean } | undefined)?.suspend)
    return { status: 'Suspended', message: 'Job is suspended' };
  return { status: 'Progressing', message: 'running' };
}
