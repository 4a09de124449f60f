import type { KubeObject } from '../kube/object.ts';
import type { Health } from './status.ts';

export function persistentVolumeClaimHealth(object: KubeObject): Health {
  const phase = (object.status as { phase?: string } | undefined)?.phase;
  if (phase === 'Bound') return { status: 'Healthy' };
  if (phase === 'Lost') return { status: 'Degraded', message: 'claim lost its volume' };
  return { status: 'Progressing', message: `phase ${phase ?? 'Pending'}` };
}
