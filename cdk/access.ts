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
   * Unused with the construct's `projects`: each project's entry has its own policy.
   *
   * @default - `AmazonEKSClusterAdminPolicy` (cluster scope); `AmazonEKSAdminPolicy` when `namespaces` is set,
   *   since the cluster admin policy cannot be scoped to namespaces
   */
  readonly accessPolicy?: string;
  /**
   * Limit the access policy to these namespaces. Driftless then cannot manage
   * cluster-scoped objects (Namespaces, CRDs, ClusterRoles) on this cluster.
   * Unused with the construct's `projects`.
   *
   * @default - the whole cluster
   */
  readonly namespaces?: string[];
}

export interface ClusterAccessProps {
  readonly clusters: DriftlessCluster[];
  /** Roles that talk to the clusters, by a short name used in construct ids. */
  readonly principals: Record<string, iam.IRole>;
  /**
   * Whether those roles get access entries of their own. Without them (the
   * construct's `projects`), they only describe the clusters, and writes are
   * made with the projects' roles.
   *
   * @default true
   */
  readonly accessEntries?: boolean;
}

/** A cluster of `props.clusters` as the access constructs need it. */
export interface ClusterTarget {
  readonly clusterName: string;
  readonly clusterArn: string;
  /** A readable construct id, unique within the list. */
  readonly label: string;
  readonly entry: DriftlessCluster;
}

/** Name, ARN and construct id of each cluster, refusing those outside the stack's environment. */
export function clusterTargets(stack: Stack, clusters: DriftlessCluster[]): ClusterTarget[] {
  return clusters.map((entry, index) => {
    const { clusterName, clusterArn } = entry.cluster;
    assertSameEnvironment(stack, clusterArn);
    // Readable ids when the name is known at synth time; the index keeps them unique either way.
    const label = Token.isUnresolved(clusterName)
      ? `Cluster${index}`
      : `Cluster${index}${clusterName.replace(/[^A-Za-z0-9]/g, '')}`;
    return {
      clusterName,
      clusterArn:
        clusterArn ??
        stack.formatArn({ service: 'eks', resource: 'cluster', resourceName: clusterName }),
      label,
      entry,
    };
  });
}

/** An EKS access policy's ARN from its name (`AmazonEKSEditPolicy`) or ARN. */
export function accessPolicyArn(stack: Stack, policy: string): string {
  return policy.startsWith('arn:')
    ? policy
    : `arn:${stack.partition}:eks::aws:cluster-access-policy/${policy}`;
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
    const targets = clusterTargets(Stack.of(this), props.clusters);
    if (props.accessEntries ?? true) {
      for (const target of targets) this.addAccessEntries(target, props.principals);
    }
    this.clusterArns = targets.map((t) => t.clusterArn);
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

  private addAccessEntries(target: ClusterTarget, principals: Record<string, iam.IRole>): void {
    const { entry, clusterName, label } = target;
    const namespaces = entry.namespaces?.length ? entry.namespaces : undefined;
    const policy =
      entry.accessPolicy ?? (namespaces ? 'AmazonEKSAdminPolicy' : 'AmazonEKSClusterAdminPolicy');
    const policyArn = accessPolicyArn(Stack.of(this), policy);
    for (const [name, principal] of Object.entries(principals)) {
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
