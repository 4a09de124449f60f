import type { Cluster } from '../config/cluster.ts';
import type { ClusterConnection } from './client.ts';

/** Resolves a declared cluster to a live connection (an EKS token is made fresh each time). */
export async function connectCluster(cluster: Cluster): Promise<ClusterConnection> {
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
