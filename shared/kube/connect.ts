import type { ClusterConnection } from './client.ts';
import type { EksClusterRef } from './eks-connection.ts';

/**
 * The ways into a cluster, in kube's own terms. A declared Cluster (config/)
 * fits this shape, and tsc checks that at every call; kube does not import
 * config/, which already depends (through render/) on kube.
 */
export type ClusterRef =
  { eks: EksClusterRef } | { kubeconfig: { file: string; context?: string | undefined } };

/** Resolves a declared cluster to a live connection (an EKS token is made fresh each time). */
export async function connectCluster(cluster: { spec: ClusterRef }): Promise<ClusterConnection> {
  // Each way in is loaded on first use, so a process pays only for the one
  // its clusters need: the EKS path brings the EKS and STS clients,
  // client-node (with its own undici) is half of a function bundle.
  if ('eks' in cluster.spec) {
    const { eksConnection } = await import('./eks-connection.ts');
    return eksConnection(cluster.spec.eks);
  }
  const { connectionFromKubeconfig } = await import('./kubeconfig.ts');
  return connectionFromKubeconfig(
    { file: cluster.spec.kubeconfig.file },
    cluster.spec.kubeconfig.context,
  );
}
