import type { Cluster } from '../config/cluster.ts';
import { reconcile } from '../engine/reconcile.ts';
import type { EngineSettings } from '../engine/settings.ts';
import type { ClusterConnection } from '../kube/client.ts';
import type { ClusterIdentity } from '../kube/connect.ts';
import { identityTarget, projectIdentity, type ProjectRoles } from '../project/identity.ts';
import type { ApiDeps } from './types.ts';

/**
 * The API's `diff`: a dry run of the application on one cluster, read as its
 * project's identity there, so a diff shows only what the project may see.
 */
export function dryRunDiff(
  settings: EngineSettings,
  connect: (cluster: Cluster, identity: ClusterIdentity) => Promise<ClusterConnection>,
  roles: ProjectRoles = {},
): ApiDeps['diff'] {
  return async ({ app, cluster, project, previous }) => {
    const identity = projectIdentity(project, identityTarget(app, cluster), roles);
    return reconcile(app, {
      cluster: { name: cluster.metadata.name, connection: await connect(cluster, identity) },
      settings,
      project,
      request: { dryRun: true },
      previous,
    });
  };
}
