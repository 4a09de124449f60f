import type { Application } from '../config/application.ts';
import type { Cluster } from '../config/cluster.ts';
import type { Project } from '../config/project.ts';
import type { PreviewMessage } from '../queue/message.ts';
import { registeredProject, type RegistryEntry } from '../state/registry.ts';
import { affectedApplications } from '../webhooks/route.ts';
import { routeCandidates } from '../webhooks/route-candidates.ts';
import type { PushEvent } from '../webhooks/push-event.ts';

/** A registered application a preview may render, with what its dry runs need. */
export interface PreviewSubject {
  app: Application;
  project: Project;
  /** Its cluster, or a rollout's clusters, as registered. */
  clusters: Cluster[];
}

/**
 * The applications a pull request would change once merged, routed as a push
 * of its files to the base branch would be (bases and other watched paths
 * included). Without the list of files (`undefined`), every application of
 * the repository that follows the base branch.
 */
export function previewedApplications(
  pr: PreviewMessage,
  entries: readonly RegistryEntry[],
  files: string[] | undefined,
): PreviewSubject[] {
  const push: PushEvent = {
    provider: pr.provider,
    deliveryId: pr.deliveryId,
    repoURLs: pr.repoURLs,
    ref: { type: 'branch', name: pr.baseBranch },
    ...(pr.defaultBranch ? { defaultBranch: pr.defaultBranch } : {}),
    ...(files ? { changedPaths: files } : {}),
  };
  const usable = entries.flatMap((entry) => {
    const project = registeredProject(entry);
    const clusters = entry.clusters ?? (entry.cluster ? [entry.cluster] : []);
    return entry.app && !entry.error && project && clusters.length > 0
      ? [{ entry, subject: { app: entry.app, project, clusters } }]
      : [];
  });
  const names = affectedApplications(
    push,
    usable.flatMap(({ entry, subject }) =>
      routeCandidates(entry.name, subject.app, entry.watchPaths),
    ),
  );
  return usable.filter(({ entry }) => names.includes(entry.name)).map(({ subject }) => subject);
}
