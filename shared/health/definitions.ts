import type { KubeObject } from '../kube/object.ts';
import { describeCondition, findCondition } from './conditions.ts';
import type { Health } from './status.ts';

export function customResourceDefinitionHealth(object: KubeObject): Health {
  const names = findCondition(object.status, 'NamesAccepted');
  if (names?.status === 'False') return { status: 'Degraded', message: describeCondition(names) };
  const established = findCondition(object.status, 'Established');
  return established?.status === 'True'
    ? { status: 'Healthy' }
    : { status: 'Progressing', message: 'not Established yet' };
}

export function namespaceHealth(object: KubeObject): Health {
  const phase = (object.status as { phase?: string } | undefined)?.phase;
  return phase === 'Terminating'
    ? { status: 'Progressing', message: 'namespace is terminating' }
    : { status: 'Healthy' };
}

export function apiServiceHealth(object: KubeObject): Health {
  const available = findCondition(object.status, 'Available');
  if (available?.status === 'True') return { status: 'Healthy' };
  if (available?.status === 'False')
    return { status: 'Degraded', message: describeCondition(available) };
  return { status: 'Progressing', message: 'availability not reported yet' };
}
