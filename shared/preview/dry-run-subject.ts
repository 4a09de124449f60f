import type { Cluster } from '../config/cluster.ts';
import {
  destinationKey,
  destinationsOf,
  forDestination,
  isRollout,
} from '../config/destinations.ts';
import { reconcile } from '../engine/reconcile.ts';
import type { EngineSettings } from '../engine/settings.ts';
import type { ClusterConnection } from '../kube/client.ts';
import type { ClusterIdentity } from '../kube/connect.ts';
import { identityTarget, projectIdentity, type ProjectRoles } from '../project/identity.ts';
import type { StateTable } from '../state/client.ts';
import { readInventory } from '../state/inventory-store.ts';
import type { PreviewMessage } from '../queue/message.ts';
import { headApplication } from './head-application.ts';
import type { PreviewSubject } from './previewed-applications.ts';
import type { PreviewRun } from './preview-run.ts';

export interface DryRunDeps {
  table: StateTable;
  settings: EngineSettings;
  connect: (cluster: Cluster, identity?: ClusterIdentity) => Promise<ClusterConnection>;
  projectRoles?: ProjectRoles;
}

/**
 * The pull request's head, dry-run on every destination of one application,
 * as its project's identity there: the same read-only server-side dry run a
 * diff is, against the inventory of the last sync so removals show as
 * prunes. Nothing is written to the cluster or to the application's state.
 */
export async function dryRunSubject(
  subject: PreviewSubject,
  pr: PreviewMessage,
  deps: DryRunDeps,
): Promise<PreviewRun[]> {
  const atHead = headApplication(subject.app, pr);
  const name = subject.app.metadata.name;
  const rollout = isRollout(atHead);
  return Promise.all(
    destinationsOf(atHead).map(async (d): Promise<PreviewRun> => {
      const cluster = subject.clusters.find((c) => c.metadata.name === d.cluster);
      if (!cluster)
        return { app: name, cluster: d.cluster, error: `cluster ${d.cluster} is not registered` };
      const app = rollout ? forDestination(atHead, d) : atHead;
      try {
        const identity = projectIdentity(
          subject.project,
          identityTarget(app, cluster),
          deps.projectRoles,
        );
        const previous = await readInventory(
          deps.table,
          rollout ? destinationKey(name, d.cluster) : name,
        );
        const result = await reconcile(app, {
          cluster: { name: d.cluster, connection: await deps.connect(cluster, identity) },
          settings: deps.settings,
          project: subject.project,
          request: { dryRun: true },
          previous,
        });
        return { app: name, cluster: d.cluster, result };
      } catch (err) {
        return { app: name, cluster: d.cluster, error: (err as Error).message };
      }
    }),
  );
}
