import type { Cluster } from '../config/cluster.ts';
import {
  destinationKey,
  destinationsOf,
  forDestination,
  isRollout,
  type Destination,
} from '../config/destinations.ts';
import { reconcile } from '../engine/reconcile.ts';
import type { EngineSettings } from '../engine/settings.ts';
import type { ClusterConnection } from '../kube/client.ts';
import type { ClusterIdentity } from '../kube/connect.ts';
import { identityTarget, projectIdentity, type ProjectRoles } from '../project/identity.ts';
import type { PreviewMessage } from '../queue/message.ts';
import type { StateTable } from '../state/client.ts';
import { readInventory } from '../state/inventory-store.ts';
import { headApplication } from './head-application.ts';
import type { PreviewRun } from './preview-run.ts';
import type { PreviewSubject } from './previewed-applications.ts';

export interface DryRunDeps {
  table: StateTable;
  settings: EngineSettings;
  connect: (cluster: Cluster, identity?: ClusterIdentity) => Promise<ClusterConnection>;
  projectRoles?: ProjectRoles;
  /** Aborted when the caller must stop (a Lambda's end): no request is sent after it. */
  signal?: AbortSignal;
}

/** One application on one of its destinations: what a preview dry-runs. */
export interface PreviewTarget {
  subject: PreviewSubject;
  destination: Destination;
}

/** Every destination of every application, so a bound on dry runs at once is a bound on renders. */
export const previewTargets = (subjects: PreviewSubject[]): PreviewTarget[] =>
  subjects.flatMap((subject) =>
    destinationsOf(subject.app).map((destination) => ({ subject, destination })),
  );

/**
 * The pull request's head, dry-run on one destination as the application's
 * project identity there: the same read-only server-side dry run a diff is,
 * against the inventory of the last sync so removals show as prunes.
 * Nothing is written to the cluster or to the application's state.
 */
export async function dryRunDestination(
  { subject, destination: d }: PreviewTarget,
  pr: PreviewMessage,
  deps: DryRunDeps,
): Promise<PreviewRun> {
  const name = subject.app.metadata.name;
  const atHead = headApplication(subject.app, pr);
  const rollout = isRollout(atHead);
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
      ...(deps.signal ? { signal: deps.signal } : {}),
    });
    return { app: name, cluster: d.cluster, result };
  } catch (err) {
    return { app: name, cluster: d.cluster, error: (err as Error).message };
  }
}
