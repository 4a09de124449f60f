import { syncOption, type Application } from '../config/application.ts';
import { destinationOf } from '../config/destinations.ts';
import type { Project } from '../config/project.ts';
import type { RenderedObject } from '../render/index.ts';
import type { Inventory, RememberedInventory } from '../sync/inventory.ts';
import type { SyncObjectsResult } from '../sync/result.ts';
import { syncObjects, type SyncProgress } from '../sync/sync-objects.ts';
import type { ClusterSession } from './cluster-session.ts';
import type { EngineSettings, RunRequest } from './settings.ts';

export interface SyncStep {
  cluster: string;
  /** The application's project; absent: the built-in default (everything allowed). */
  project: Project | undefined;
  revision: string;
  settings: EngineSettings;
  request: RunRequest;
  previous: Inventory | undefined;
  /** Instead of `previous`: the inventory the head item remembers (see SyncObjectsOptions.recall). */
  recall?: RememberedInventory;
  onProgress: (progress: SyncProgress) => void;
  /** The run's one signal: its deadline, a lost lease, the caller's stop (see reconcile). */
  signal: AbortSignal | undefined;
  /** The run's deadline (epoch ms), which each phase's own bound ends by. */
  deadline?: number;
  beforeApply: ((intent: Inventory) => Promise<void>) | undefined;
}

/**
 * Diff, apply, prune and health of the rendered objects, with what the
 * application's policy and this run's request say: the request's timeout
 * bounds applying and the health wait, without touching the spec, and the
 * run's deadline bounds them all.
 */
export function syncRendered(
  app: Application,
  session: ClusterSession,
  rendered: RenderedObject[],
  step: SyncStep,
): Promise<SyncObjectsResult> {
  const automated = app.spec.syncPolicy.automated;
  const { request, settings } = step;
  return syncObjects(
    {
      client: session.client,
      discovery: session.discovery,
      app: app.metadata.name,
      namespace: destinationOf(app).namespace,
      concurrency: settings.concurrency,
      signal: step.signal,
      deadline: step.deadline,
      project: step.project && { project: step.project, cluster: step.cluster },
    },
    rendered,
    {
      cluster: step.cluster,
      revision: step.revision,
      previous: step.previous,
      recall: step.recall,
      dryRun: request.dryRun,
      prune: request.prune ?? automated?.prune ?? false,
      allowEmpty: automated?.allowEmpty ?? false,
      ignoreDifferences: app.spec.ignoreDifferences,
      createNamespace: syncOption(app, 'CreateNamespace') ?? false,
      adoptExisting: syncOption(app, 'AdoptExisting') ?? false,
      waitForHealth: request.waitForHealth ?? true,
      healthTimeoutMs: request.timeoutMs ?? app.spec.healthTimeout,
      applyTimeoutMs: request.timeoutMs ?? settings.applyTimeoutMs,
      onProgress: step.onProgress,
      beforeApply: step.beforeApply,
    },
  );
}
