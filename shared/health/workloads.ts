import type { KubeObject } from '../kube/object.ts';
import { describeCondition, findCondition } from './conditions.ts';
import type { Health } from './status.ts';

interface WorkloadStatus {
  observedGeneration?: number;
  replicas?: number;
  updatedReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  currentRevision?: string;
  updateRevision?: string;
  desiredNumberScheduled?: number;
  updatedNumberScheduled?: number;
  numberAvailable?: number;
}

function statusOf(object: KubeObject): WorkloadStatus {
  return (object.status ?? {}) as WorkloadStatus;
}

function observed(object: KubeObject): Health | undefined {
  const generation = object.metadata.generation ?? 0;
  const seen = statusOf(object).observedGeneration ?? 0;
  return seen < generation
    ? { status: 'Progressing', message: 'waiting for the controller to observe the latest spec' }
    : undefined;
}

function desiredReplicas(object: KubeObject): number {
  const replicas = (object.spec as { replicas?: number } | undefined)?.replicas;
  return replicas ?? 1;
}

export function deploymentHealth(object: KubeObject): Health {
  if ((object.spec as { paused?: boolean } | undefined)?.paused)
    return { status: 'Suspended', message: 'Deployment is paused' };
  const progressing = findCondition(object.status, 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') {
    return { status: 'Degraded', message: describeCondition(progressing) };
  }
  const waiting = observed(object);
  if (waiting) return waiting;
  const s = statusOf(object);
  const want = desiredReplicas(object);
  if ((s.updatedReplicas ?? 0) < want)
    return {
      status: 'Progressing',
      message: `${s.updatedReplicas ?? 0} of ${want} replicas updated`,
    };
  if ((s.replicas ?? 0) > (s.updatedReplicas ?? 0))
    return {
      status: 'Progressing',
      message: `${(s.replicas ?? 0) - (s.updatedReplicas ?? 0)} old replicas pending termination`,
    };
  if ((s.availableReplicas ?? 0) < (s.updatedReplicas ?? 0))
    return {
      status: 'Progressing',
      message: `${s.availableReplicas ?? 0} of ${want} updated replicas available`,
    };
  return { status: 'Healthy' };
}

export function statefulSetHealth(object: KubeObject): Health {
  const waiting = observed(object);
  if (waiting) return waiting;
  const s = statusOf(object);
  const want = desiredReplicas(object);
  if ((s.readyReplicas ?? 0) < want)
    return { status: 'Progressing', message: `${s.readyReplicas ?? 0} of ${want} replicas ready` };
  const strategy = (object.spec as { updateStrategy?: { type?: string } } | undefined)
    ?.updateStrategy?.type;
  if (strategy !== 'OnDelete' && s.updateRevision && s.currentRevision !== s.updateRevision) {
    return {
      status: 'Progressing',
      message: `rolling update to revision ${s.updateRevision} in progress`,
    };
  }
  return { status: 'Healthy' };
}

export function daemonSetHealth(object: KubeObject): Health {
  const waiting = observed(object);
  if (waiting) return waiting;
  const s = statusOf(object);
  const want = s.desiredNumberScheduled ?? 0;
  if ((s.updatedNumberScheduled ?? 0) < want)
    return {
      status: 'Progressing',
      message: `${s.updatedNumberScheduled ?? 0} of ${want} pods updated`,
    };
  if ((s.numberAvailable ?? 0) < want)
    return {
      status: 'Progressing',
      message: `${s.numberAvailable ?? 0} of ${want} pods available`,
    };
  return { status: 'Healthy' };
}

export function replicaSetHealth(object: KubeObject): Health {
  const failure = findCondition(object.status, 'ReplicaFailure');
  if (failure?.status === 'True')
    return { status: 'Degraded', message: describeCondition(failure) };
  const waiting = observed(object);
  if (waiting) return waiting;
  const s = statusOf(object);
  const want = desiredReplicas(object);
  if ((s.availableReplicas ?? 0) < want)
    return {
      status: 'Progressing',
      message: `${s.availableReplicas ?? 0} of ${want} replicas available`,
    };
  return { status: 'Healthy' };
}
