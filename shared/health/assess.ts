import { groupOf, type KubeObject } from '../kube/object.ts';
import {
  apiServiceHealth,
  customResourceDefinitionHealth,
  namespaceHealth,
} from './definitions.ts';
import { genericHealth } from './generic.ts';
import { jobHealth } from './job.ts';
import { ingressHealth, serviceHealth } from './networking.ts';
import { podHealth } from './pod.ts';
import type { Health } from './status.ts';
import { persistentVolumeClaimHealth } from './storage.ts';
import {
  daemonSetHealth,
  deploymentHealth,
  replicaSetHealth,
  statefulSetHealth,
} from './workloads.ts';

type Check = (object: KubeObject) => Health;

const CHECKS: Record<string, Check> = {
  'apps/Deployment': deploymentHealth,
  'apps/StatefulSet': statefulSetHealth,
  'apps/DaemonSet': daemonSetHealth,
  'apps/ReplicaSet': replicaSetHealth,
  '/Pod': podHealth,
  'batch/Job': jobHealth,
  '/PersistentVolumeClaim': persistentVolumeClaimHealth,
  '/Service': serviceHealth,
  'networking.k8s.io/Ingress': ingressHealth,
  'apiextensions.k8s.io/CustomResourceDefinition': customResourceDefinitionHealth,
  '/Namespace': namespaceHealth,
  'apiregistration.k8s.io/APIService': apiServiceHealth,
};

// Built-in kinds whose status says nothing about health.
const STATUSLESS_BUILTIN_GROUPS = new Set([
  '',
  'rbac.authorization.k8s.io',
  'policy',
  'storage.k8s.io',
  'scheduling.k8s.io',
  'admissionregistration.k8s.io',
  'networking.k8s.io',
  'coordination.k8s.io',
  'node.k8s.io',
  'discovery.k8s.io',
  'autoscaling',
  'batch',
  'apps',
]);

/** Health of one live object. */
export function assessHealth(object: KubeObject): Health {
  if (object.metadata.deletionTimestamp) return { status: 'Progressing', message: 'being deleted' };
  const group = groupOf(object.apiVersion);
  const check = CHECKS[`${group}/${object.kind}`];
  if (check) return check(object);
  if (STATUSLESS_BUILTIN_GROUPS.has(group)) return { status: 'Healthy' };
  return genericHealth(object);
}

/** Whether a kind's health can be anything but Healthy, so the live object must be read to assess it. */
export function needsLiveHealth(apiVersion: string, kind: string): boolean {
  const group = groupOf(apiVersion);
  return Boolean(CHECKS[`${group}/${kind}`]) || !STATUSLESS_BUILTIN_GROUPS.has(group);
}
