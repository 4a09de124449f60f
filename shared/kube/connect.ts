import type { Cluster } from '../config/cluster.ts';
import { connectionFromKubeconfig, type ClusterConnection } from './client.ts';
import { eksConnection } from './eks-connection.ts';

/** Resolves a declared cluster to a live connection (an EKS token is made fresh each time). */
export function connectCluster(cluster: Cluster): Promise<ClusterConnection> {
  if ('eks' in cluster.spec) return eksConnection(cluster.spec.eks);
  return connectionFromKubeconfig(
    { file: cluster.spec.kubeconfig.file },
    cluster.spec.kubeconfig.context,
  );
}
