import { Duration, Stack, Tags, Token } from 'aws-cdk-lib';
import * as eks from 'aws-cdk-lib/aws-eks';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import {
  accessPolicyArn,
  clusterTargets,
  type ClusterTarget,
  type DriftlessCluster,
} from './access.ts';
import type { DriftlessFunction } from './function.ts';

/**
 * A team's share of the installation (a `Project` in the configuration
 * repository, docs/aws.md#projects): an IAM role that the reconciler and the
 * API assume for that project's applications, and an EKS access entry for it
 * on each of its clusters.
 */
export interface DriftlessProject {
  /** The project's name, as Applications name it in `spec.project`: a DNS label. */
  readonly name: string;
  /**
   * Namespaces the access policy is scoped to, on every cluster of the project:
   * names, or a prefix and `*` (`team-a-*`), as EKS access scopes take them.
   * Required unless `kubernetesGroups` or `clusterAdmin` is set.
   */
  readonly namespaces: string[];
  /**
   * Names of the clusters (of the construct's `clusters`) the project may use.
   *
   * @default - every cluster of the construct
   */
  readonly clusters?: string[];
  /**
   * EKS access policy associated with the project's role, scoped to `namespaces`:
   * a name such as `AmazonEKSAdminPolicy` or a full access policy ARN.
   *
   * @default 'AmazonEKSEditPolicy'
   */
  readonly accessPolicy?: string;
  /**
   * Instead of an access policy: Kubernetes groups the access entry maps the
   * role to, which the team binds with its own RBAC. No access policy is
   * associated then. Groups starting with `system:` are refused.
   *
   * @default - no groups: the access policy decides
   */
  readonly kubernetesGroups?: string[];
  /**
   * `AmazonEKSClusterAdminPolicy` with cluster scope: the only way a project
   * gets it (for a platform team that manages CRDs, Namespaces and ClusterRoles).
   *
   * @default false
   */
  readonly clusterAdmin?: boolean;
}

export interface ProjectRolesProps {
  readonly projects: DriftlessProject[];
  readonly clusters: DriftlessCluster[];
  /** The functions that write to clusters for a project (reconciler and API). */
  readonly functions: DriftlessFunction[];
}

/** The session tag a project role's trust policy requires, with the project's name as value. */
export const PROJECT_TAG = 'driftless:project';
/** The environment variable that tells the functions each project's role ARN. */
export const PROJECT_ROLES_ENV = 'DRIFTLESS_PROJECT_ROLES';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** A namespace name, or a prefix followed by `*` (the wildcard EKS access scopes accept). */
const NAMESPACE = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?|[a-z0-9][-a-z0-9]*\*)$/;

/**
 * One IAM role per project, with an EKS access entry on each of its clusters,
 * assumable by the reconciler and API roles only with the project's session
 * tag; the functions learn the roles from `DRIFTLESS_PROJECT_ROLES`.
 */
export class ProjectRoles extends Construct {
  readonly roles: Record<string, iam.IRole> = {};

  constructor(scope: Construct, id: string, props: ProjectRolesProps) {
    super(scope, id);
    const targets = clusterTargets(Stack.of(this), props.clusters);
    const assumers = props.functions.map((fn) => fn.role);
    for (const project of props.projects) {
      if (this.roles[project.name])
        throw new Error(`Driftless project ${project.name} is declared twice`);
      validateProject(project);
      const projectScope = new Construct(this, project.name);
      this.roles[project.name] = projectRole(projectScope, project, assumers);
      for (const target of projectClusters(project, targets)) {
        new eks.CfnAccessEntry(projectScope, target.label, {
          clusterName: target.clusterName,
          principalArn: this.roles[project.name]!.roleArn,
          type: 'STANDARD',
          ...accessOf(Stack.of(this), project),
        });
      }
    }
    this.grant(props.functions);
  }

  /** `sts:AssumeRole` and `sts:TagSession` on exactly the project roles, and their ARNs in the environment. */
  private grant(functions: DriftlessFunction[]): void {
    const arns = Object.fromEntries(
      Object.entries(this.roles).map(([name, role]) => [name, role.roleArn]),
    );
    const environment = Stack.of(this).toJsonString(arns);
    for (const fn of functions) {
      if (Object.keys(arns).length) {
        fn.role.addToPrincipalPolicy(
          new iam.PolicyStatement({
            actions: ['sts:AssumeRole', 'sts:TagSession'],
            resources: Object.values(arns),
          }),
        );
      }
      fn.function.addEnvironment(PROJECT_ROLES_ENV, environment);
    }
  }
}

/** The project's role: no policies of its own, trusted by the given roles with its session tag only. */
function projectRole(scope: Construct, project: DriftlessProject, assumers: iam.IRole[]): iam.Role {
  const trusted = new iam.CompositePrincipal(...assumers)
    .withConditions({ StringEquals: { [`aws:RequestTag/${PROJECT_TAG}`]: project.name } })
    .withSessionTags();
  const role = new iam.Role(scope, 'Role', {
    description: `Driftless project ${project.name}: its applications' writes to EKS clusters`,
    assumedBy: trusted,
    maxSessionDuration: Duration.hours(1),
  });
  Tags.of(role).add(PROJECT_TAG, project.name);
  return role;
}

/** What the access entry grants: cluster admin, groups, or the namespace-scoped policy. */
function accessOf(
  stack: Stack,
  project: DriftlessProject,
): Pick<eks.CfnAccessEntryProps, 'accessPolicies' | 'kubernetesGroups'> {
  if (project.clusterAdmin)
    return {
      accessPolicies: [
        {
          policyArn: accessPolicyArn(stack, 'AmazonEKSClusterAdminPolicy'),
          accessScope: { type: 'cluster' },
        },
      ],
    };
  if (project.kubernetesGroups?.length) return { kubernetesGroups: [...project.kubernetesGroups] };
  return {
    accessPolicies: [
      {
        policyArn: accessPolicyArn(stack, project.accessPolicy ?? 'AmazonEKSEditPolicy'),
        accessScope: { type: 'namespace', namespaces: [...new Set(project.namespaces)] },
      },
    ],
  };
}

/** The construct's clusters the project may use, refusing names that are not among them. */
function projectClusters(project: DriftlessProject, targets: ClusterTarget[]): ClusterTarget[] {
  if (!project.clusters) return targets;
  const known = targets.map((t) => t.clusterName).filter((n) => !Token.isUnresolved(n));
  for (const name of project.clusters) {
    if (!known.includes(name))
      throw new Error(
        `Driftless project ${project.name}: cluster ${name} is not one of the construct's clusters (${known.join(', ') || 'none'})`,
      );
  }
  return targets.filter((t) => project.clusters!.includes(t.clusterName));
}

/** Refuses, at synth time, what EKS or IAM would refuse at deploy time, and what would widen access by accident. */
function validateProject(project: DriftlessProject): void {
  const fail = (message: string): never => {
    throw new Error(`Driftless project ${project.name}: ${message}`);
  };
  if (Token.isUnresolved(project.name) || !DNS_LABEL.test(project.name) || project.name.length > 63)
    throw new Error(
      `Driftless project name "${project.name}" must be a DNS label: lowercase letters, digits and "-", starting and ending with a letter or digit, at most 63 characters`,
    );
  const groups = project.kubernetesGroups ?? [];
  if (project.clusterAdmin && (project.accessPolicy || groups.length))
    fail('clusterAdmin replaces accessPolicy and kubernetesGroups; set only one of them');
  if (groups.length && project.accessPolicy)
    fail('kubernetesGroups replaces the access policy; set kubernetesGroups or accessPolicy');
  if (/AmazonEKSClusterAdminPolicy$/.test(project.accessPolicy ?? ''))
    fail('AmazonEKSClusterAdminPolicy is granted only by clusterAdmin: true');
  for (const group of groups) {
    if (!group || group.startsWith('system:'))
      fail(`Kubernetes group "${group}" is refused: system: groups belong to Kubernetes`);
  }
  if (project.clusterAdmin || groups.length) return;
  if (!project.namespaces.length)
    fail('namespaces is empty: name the namespaces its access policy is scoped to');
  for (const namespace of project.namespaces) {
    if (!NAMESPACE.test(namespace) || namespace.length > 63)
      fail(
        `namespace "${namespace}" must be a namespace name or a prefix followed by * (such as team-a-*)`,
      );
  }
}
