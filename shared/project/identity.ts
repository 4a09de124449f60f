import type { Application } from '../config/application.ts';
import type { Cluster } from '../config/cluster.ts';
import { destinationsOf } from '../config/destinations.ts';
import type { Project } from '../config/project.ts';
import type { ClusterIdentity } from '../kube/connect.ts';
import { globMatch } from '../util/glob.ts';

/** Where one reconcile writes, as the identity resolver needs it. */
export interface IdentityTarget {
  app: string;
  cluster: string;
  /** The application's destination namespace, if it has one. */
  namespace: string | undefined;
  /** How the cluster is reached: the identity differs for EKS and kubeconfig clusters. */
  access: 'eks' | 'kubeconfig';
}

/** Where `app` writes on `cluster` (one of its destinations). */
export function identityTarget(app: Application, cluster: Cluster): IdentityTarget {
  const name = cluster.metadata.name;
  return {
    app: app.metadata.name,
    cluster: name,
    namespace: destinationsOf(app).find((d) => d.cluster === name)?.namespace,
    access: 'eks' in cluster.spec ? 'eks' : 'kubeconfig',
  };
}

/**
 * Project name → IAM role ARN, made by the construct (one role per project,
 * with a namespace-scoped EKS access entry) and handed to the functions.
 */
export type ProjectRoles = Readonly<Record<string, string>>;

/**
 * The identity a project's writes to one destination are made as, so the
 * cluster's own authorization bounds them too: on EKS the project's role
 * (sessions tagged with application and project, for CloudTrail); through a
 * kubeconfig, impersonation of the first matching `destinationServiceAccounts`
 * entry. A project with neither writes as Driftless itself: the built-in
 * default project, and projects the installation gave no identity.
 */
export function projectIdentity(
  project: Project,
  target: IdentityTarget,
  roles: ProjectRoles = {},
): ClusterIdentity {
  const name = project.metadata.name;
  if (target.access === 'eks') {
    const roleArn = Object.hasOwn(roles, name) ? roles[name] : undefined;
    if (!roleArn) return {};
    return {
      roleArn,
      sessionName: sessionName(target.app),
      sessionTags: { 'driftless:application': target.app, 'driftless:project': name },
    };
  }
  const namespace = target.namespace ?? '';
  const entry = project.spec.destinationServiceAccounts.find(
    (d) => globMatch(d.cluster, target.cluster) && globMatch(d.namespace, namespace),
  );
  if (!entry) {
    // A project that names ServiceAccounts means the cluster to check its writes: none
    // matching must not mean Driftless's own, wider identity (Argo CD fails the sync too).
    if (project.spec.destinationServiceAccounts.length)
      throw new Error(
        `project ${name}: no destinationServiceAccounts entry matches cluster ${target.cluster}, namespace ${namespace || '(none)'}; refusing to write as Driftless itself`,
      );
    return {};
  }
  const [saNamespace, saName] = entry.defaultServiceAccount.includes(':')
    ? entry.defaultServiceAccount.split(':')
    : [namespace, entry.defaultServiceAccount];
  if (!saNamespace)
    throw new Error(
      `project ${name}: destinationServiceAccounts entry for ${entry.cluster}/${entry.namespace} names ServiceAccount "${entry.defaultServiceAccount}" without a namespace, and application ${target.app} has no destination namespace; write it as namespace:name`,
    );
  return { impersonate: { user: `system:serviceaccount:${saNamespace}:${saName}` } };
}

/** STS session names allow 2–64 of `[\w+=,.@-]`; an application name is a DNS label, so it fits. */
function sessionName(app: string): string {
  return `driftless-${app}`.slice(0, 64);
}
