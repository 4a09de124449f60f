import { Arn, ArnFormat, Stack, Token } from 'aws-cdk-lib';
import * as eks from 'aws-cdk-lib/aws-eks';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

/** A cluster the stack can reference: an `eks.ICluster` (either EKS module), or a name and ARN. */
export interface ClusterReference {
  readonly clusterName: string;
  /**
   * @default - the cluster of that name in the stack's account and region
   */
  readonly clusterArn?: string;
}

/** One EKS cluster in this account that Driftless manages. */
export interface DriftlessCluster {
  /** The cluster: a CDK cluster object, or its name (and ARN when in another region). */
  readonly cluster: eks.ICluster | ClusterReference;
  /**
   * EKS access policy associated with Driftless's roles: a name such as
   * `AmazonEKSAdminPolicy` or a full access policy ARN.
   *
   * @default - `AmazonEKSClusterAdminPolicy` (cluster scope); `AmazonEKSAdminPolicy` when `namespaces` is set,
   *   since the cluster admin policy cannot be scoped to namespaces
   */
  readonly accessPolicy?: string;
  /**
   * Limit the access policy to these namespaces. Driftless then cannot manage
   * cluster-scoped objects (Namespaces, CRDs, ClusterRoles) on this cluster.
   *
   * @default - the whole cluster
   */
  readonly namespaces?: string[];
}

export interface ClusterAccessProps {
  readonly clusters: DriftlessCluster[];
  /** Roles that talk to the clusters, by a short name used in construct ids. */
  readonly principals: Record<string, iam.IRole>;
}

/**
 * EKS access entries (not the aws-auth ConfigMap, see docs/aws.md#clusters) that map
 * each Driftless role to a Kubernetes identity on each cluster, and
 * `eks:DescribeCluster` (endpoint and CA) on exactly those clusters.
 */
export class ClusterAccess extends Construct {
  readonly clusterArns: string[];

  constructor(scope: Construct, id: string, props: ClusterAccessProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.clusterArns = props.clusters.map((entry, index) => {
      const { clusterName, clusterArn } = entry.cluster;
      assertSameEnvironment(stack, clusterArn);
      const namespaces = entry.namespaces?.length ? entry.namespaces : undefined;
      const policy =
        entry.accessPolicy ?? (namespaces ? 'AmazonEKSAdminPolicy' : 'AmazonEKSClusterAdminPolicy');
      const policyArn = policy.startsWith('arn:')
        ? policy
        : `arn:${stack.partition}:eks::aws:cluster-access-policy/${policy}`;
      // Readable ids when the name is known at synth time; the index keeps them unique either way.
      const label = Token.isUnresolved(clusterName)
        ? `Cluster${index}`
        : `Cluster${index}${clusterName.replace(/[^A-Za-z0-9]/g, '')}`;
      for (const [name, principal] of Object.entries(props.principals)) {
        new eks.CfnAccessEntry(this, `${label}${name}`, {
          clusterName,
          principalArn: principal.roleArn,
          type: 'STANDARD',
          accessPolicies: [
            {
              policyArn,
              accessScope: namespaces ? { type: 'namespace', namespaces } : { type: 'cluster' },
            },
          ],
        });
      }
      return (
        clusterArn ??
        stack.formatArn({ service: 'eks', resource: 'cluster', resourceName: clusterName })
      );
    });
    if (this.clusterArns.length) {
      for (const principal of Object.values(props.principals)) {
        principal.addToPrincipalPolicy(
          new iam.PolicyStatement({
            actions: ['eks:DescribeCluster'],
            resources: this.clusterArns,
          }),
        );
      }
    }
  }
}

/**
 * Access entries are created in the stack's account and region, so a cluster
 * elsewhere cannot get one from this stack: say so at synth time rather than
 * fail in CloudFormation. (Cross-account clusters use `assumeRoleArns`.)
 */
function assertSameEnvironment(stack: Stack, clusterArn: string | undefined): void {
  if (!clusterArn || Token.isUnresolved(clusterArn)) return;
  const { account, region } = Arn.split(clusterArn, ArnFormat.SLASH_RESOURCE_NAME);
  const mismatch = (theirs: string | undefined, ours: string): boolean =>
    !!theirs && !Token.isUnresolved(ours) && theirs !== ours;
  if (mismatch(region, stack.region) || mismatch(account, stack.account)) {
    throw new Error(
      `cluster ${clusterArn} is not in this stack's account and region (${stack.account}/${stack.region}); ` +
        'deploy Driftless there, or create its access entry in that account and pass the role through assumeRoleArns',
    );
  }
}
