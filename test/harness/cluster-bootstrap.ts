import { CoreV1Api, KubeConfig, RbacAuthorizationV1Api } from '@kubernetes/client-node';

/** Namespace in which the restricted test user is admin, and nowhere else. */
export const RESTRICTED_NAMESPACE = 'restricted';
export const RESTRICTED_USER = 'restricted';

/**
 * Registers fake nodes (simulated by KWOK) and grants the restricted user the
 * built-in `admin` role in one namespace.
 */
export async function bootstrapCluster(adminKubeconfig: string, nodeCount: number): Promise<void> {
  const kc = new KubeConfig();
  kc.loadFromFile(adminKubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
  for (let i = 0; i < nodeCount; i++) {
    const name = `kwok-node-${i}`;
    await core.createNode({
      body: {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: {
          name,
          annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
          labels: {
            'kubernetes.io/arch': 'arm64',
            'kubernetes.io/os': 'linux',
            'kubernetes.io/hostname': name,
            type: 'kwok',
          },
        },
        status: {
          allocatable: { cpu: '32', memory: '256Gi', pods: '110' },
          capacity: { cpu: '32', memory: '256Gi', pods: '110' },
        },
      },
    });
  }
  await core.createNamespace({ body: { metadata: { name: RESTRICTED_NAMESPACE } } });
  await rbac.createNamespacedRoleBinding({
    namespace: RESTRICTED_NAMESPACE,
    body: {
      metadata: { name: 'restricted-admin' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'admin' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: RESTRICTED_USER }],
    },
  });
}

/** True once every fake node reports Ready and the controller manager has made the default ServiceAccount. */
export async function clusterSettled(adminKubeconfig: string, nodeCount: number): Promise<boolean> {
  const kc = new KubeConfig();
  kc.loadFromFile(adminKubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  const nodes = await core.listNode();
  const ready = nodes.items.filter((n) =>
    n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
  );
  if (ready.length < nodeCount) return false;
  const accounts = await core.listNamespacedServiceAccount({ namespace: 'default' });
  return accounts.items.some((sa) => sa.metadata?.name === 'default');
}
