import { syncOption, type Application } from '../config/application.ts';
import { destinationOf } from '../config/destinations.ts';
import type { RenderedObject } from '../render/index.ts';
import type { Inventory } from '../sync/inventory.ts';
import type { SyncObjectsResult } from '../sync/result.ts';
import { syncObjects, type SyncProgress } from '../sync/sync-objects.ts';
import type { ClusterSession } from './cluster-session.ts';
import type { EngineSettings, RunRequest } from './settings.ts';

export interface SyncStep {
  cluster: string;
  revision: string;
  settings: EngineSettings;
  request: RunRequest;
  previous: Inventory | undefined;
  onProgress: (progress: SyncProgress) => void;
  signal: AbortSignal | undefined;
  beforeApply: ((intent: Inventory) => Promise<void>) | undefined;
}

/**
 * Diff, apply, prune and health of the rendered objects, with what the
 * application's policy and this run's request say: the request's timeout
 * bounds applying and the health wait, without touching the spec.
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
    },
    rendered,
    {
      cluster: step.cluster,
      revision: step.revision,
      previous: step.previous,
      dryRun: request.dryRun,
      prune: request.prune ?? automated?.prune ?? false,
      allowEmpty: automated?.allowEmpty ?? false,
      ignoreDifferences: app.spec.ignoreDifferences,
      createNamespace: syncOption(app, 'CreateNamespace') ?? false,
      waitForHealth: request.waitForHealth ?? true,
      healthTimeoutMs: request.timeoutMs ?? app.spec.healthTimeout,
      applyTimeoutMs: request.timeoutMs ?? settings.applyTimeoutMs,
      onProgress: step.onProgress,
      beforeApply: step.beforeApply,
    },
  );
}
