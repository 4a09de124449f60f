import type { KubeObject } from '../kube/object.ts';
import { findCondition } from './conditions.ts';
import type { Health } from './status.ts';

interface ContainerStatus {
  name: string;
  state?: {
    waiting?: { reason?: string; message?: string };
    terminated?: { reason?: string; exitCode?: number };
  };
}

// Waiting reasons that do not resolve by themselves.
const STUCK = new Set([
  'CrashLoopBackOff',
  'ImagePullBackOff',
  'ErrImagePull',
  'CreateContainerConfigError',
  'InvalidImageName',
  'CreateContainerError',
]);

export function podHealth(object: KubeObject): Health {
  const status = (object.status ?? {}) as {
    phase?: string;
    message?: string;
    containerStatuses?: ContainerStatus[];
    initContainerStatuses?: ContainerStatus[];
  };
  for (const c of [...(status.initContainerStatuses ?? []), ...(status.containerStatuses ?? [])]) {
    const reason = c.state?.waiting?.reason;
    if (reason && STUCK.has(reason))
      return {
        status: 'Degraded',
        message: `container ${c.name}: ${reason}${c.state?.waiting?.message ? `: ${c.state.waiting.message}` : ''}`,
      };
  }
  switch (status.phase) {
    case 'Succeeded':
      return { status: 'Healthy', message: 'completed' };
    case 'Failed':
      return { status: 'Degraded', message: status.message ?? 'pod failed' };
    case 'Running':
      return findCondition(status, 'Ready')?.status === 'True'
        ? { status: 'Healthy' }
        : { status: 'Progressing', message: 'running, not ready' };
    default:
      return { status: 'Progressing', message: `phase ${status.phase ?? 'Pending'}` };
  }
}
