import type { ClusterConnection } from './client.ts';
import type { EksClusterRef } from './eks-connection.ts';

/**
 * The ways into a cluster, in kube's own terms. A declared Cluster (config/)
 * fits this shape, and tsc checks that at every call; kube does not import
 * config/, which already depends (through render/) on kube.
 */
export type ClusterRef =
  { eks: EksClusterRef } | { kubeconfig: { file: string; context?: string | undefined } };

/**
 * Who a connection acts as, beyond the process's own credentials: a
 * project's identity (shared/project/identity.ts). Absent fields mean the
 * process's own identity.
 */
export interface ClusterIdentity {
  /** Kubeconfig clusters: Kubernetes impersonation of this user (a project's ServiceAccount). */
  impersonate?: { user: string; groups?: string[] };
  /** EKS clusters: the project's IAM role, assumed before the token is made. */
  roleArn?: string;
  /** Session tags on that role's session (application, project), seen in CloudTrail. */
  sessionTags?: Record<string, string>;
  /** The role session's name, which EKS audit logs show as the user. */
  sessionName?: string;
}

/** Resolves a declared cluster to a live connection (an EKS token is made fresh each time). */
export async function connectCluster(
  cluster: { spec: ClusterRef },
  identity: ClusterIdentity = {},
): Promise<ClusterConnection> {
  // Each way in is loaded on first use, so a process pays only for the one
  // its clusters need: the EKS path brings the EKS and STS clients,
  // client-node (with its own undici) is half of a function bundle.
  if ('eks' in cluster.spec) {
    const { eksConnection } = await import('./eks-connection.ts');
    return eksConnection(cluster.spec.eks, identity);
  }
  const { connectionFromKubeconfig } = await import('./kubeconfig.ts');
  const connection = await connectionFromKubeconfig(
    { file: cluster.spec.kubeconfig.file },
    cluster.spec.kubeconfig.context,
  );
  return identity.impersonate ? { ...connection, impersonate: identity.impersonate } : connection;
}
