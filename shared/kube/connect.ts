import type { Cluster } from '../config/cluster.ts';
import type { ClusterConnection } from './client.ts';
import { eksConnection } from './eks-connection.ts';

/** Resolves a declared cluster to a live connection (an EKS token is made fresh each time). */
export async function connectCluster(cluster: Cluster): Promise<ClusterConnection> {
  if ('eks' in cluster.spec) return eksConnection(cluster.spec.eks);
  // Loaded on first use: client-node (with its own undici) is half of a
  // function bundle and EKS clusters never need it, so cold starts skip it.
  const { connectionFromKubeconfig } = await import('./kubeconfig.ts');
  return connectionFromKubeconfig(
    { file: cluster.spec.kubeconfig.file },
    cluster.spec.kubeconfig.context,
  );
}
