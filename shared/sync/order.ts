import { groupOf, type KubeObject } from '../kube/object.ts';
import { SYNC_WAVE_ANNOTATION } from './ownership.ts';

/**
 * Apply stages. Definitions other objects depend on go first (`definitions`:
 * CRDs, Namespaces, ClusterRoles; CRDs must be Established before the next
 * stage), then `*Class` kinds, then everything else by wave and kind.
 */
export type Stage = 'definitions' | 'classes' | 'resources';

// Dependencies before dependents, as Argo CD and Helm order kinds. Kinds not
// listed come after all listed ones, webhooks last so they cannot block the
// objects they would admit.
const KIND_ORDER = [
  'Namespace',
  'NetworkPolicy',
  'ResourceQuota',
  'LimitRange',
  'PodDisruptionBudget',
  'ServiceAccount',
  'Secret',
  'ConfigMap',
  'StorageClass',
  'PersistentVolume',
  'PersistentVolumeClaim',
  'CustomResourceDefinition',
  'ClusterRole',
  'ClusterRoleBinding',
  'Role',
  'RoleBinding',
  'Service',
  'DaemonSet',
  'Pod',
  'ReplicationController',
  'ReplicaSet',
  'Deployment',
  'HorizontalPodAutoscaler',
  'StatefulSet',
  'Job',
  'CronJob',
  'IngressClass',
  'Ingress',
  'APIService',
];
const LAST_KINDS = ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration'];

export function stageOf(object: Pick<KubeObject, 'apiVersion' | 'kind'>): Stage {
  const group = groupOf(object.apiVersion);
  if (object.kind === 'CustomResourceDefinition' && group === 'apiextensions.k8s.io')
    return 'definitions';
  if (object.kind === 'Namespace' && group === '') return 'definitions';
  if (object.kind === 'ClusterRole' && group === 'rbac.authorization.k8s.io') return 'definitions';
  if (object.kind.endsWith('Class')) return 'classes';
  return 'resources';
}

export function kindRank(kind: string): number {
  const known = KIND_ORDER.indexOf(kind);
  if (known >= 0) return known;
  const last = LAST_KINDS.indexOf(kind);
  return last >= 0 ? KIND_ORDER.length + 1 + last : KIND_ORDER.length;
}

/** The object's sync wave; throws on a value that is not an integer so the mistake is reported, not ignored. */
export function waveOf(object: KubeObject): number {
  const raw = object.metadata.annotations?.[SYNC_WAVE_ANNOTATION];
  if (raw === undefined) return 0;
  if (!/^-?\d+$/.test(raw.trim())) {
    throw new Error(`annotation ${SYNC_WAVE_ANNOTATION} must be an integer, got "${raw}"`);
  }
  return Number.parseInt(raw, 10);
}

const STAGE_RANK: Record<Stage, number> = { definitions: 0, classes: 1, resources: 2 };

/** One batch applied together; batches run one after another. */
export interface ApplyBatch<T> {
  stage: Stage;
  wave: number;
  kind: string;
  items: T[];
}

/**
 * Groups items into ordered batches: by stage, then wave, then kind order.
 * Items of one batch do not depend on each other and may be applied
 * concurrently.
 */
export function orderBatches<T>(
  items: T[],
  objectOf: (item: T) => KubeObject,
  waveOfItem: (item: T) => number,
): ApplyBatch<T>[] {
  const batches = new Map<string, ApplyBatch<T>>();
  for (const item of items) {
    const object = objectOf(item);
    const stage = stageOf(object);
    // Waves order the main stage only: the definitions and classes stages are
    // what every wave depends on.
    const wave = stage === 'resources' ? waveOfItem(item) : 0;
    const key = `${stage}|${wave}|${object.kind}`;
    let batch = batches.get(key);
    if (!batch) {
      batch = { stage, wave, kind: object.kind, items: [] };
      batches.set(key, batch);
    }
    batch.items.push(item);
  }
  return [...batches.values()].sort(
    (a, b) =>
      STAGE_RANK[a.stage] - STAGE_RANK[b.stage] ||
      a.wave - b.wave ||
      kindRank(a.kind) - kindRank(b.kind) ||
      a.kind.localeCompare(b.kind),
  );
}
