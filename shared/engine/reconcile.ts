import type { Application } from '../config/application.ts';
import { DEFAULT_PROJECT_NAME, type Project } from '../config/project.ts';
import { targetRevisionOf } from '../config/sources.ts';
import { deadlineBound, type ClusterConnection, type RequestBound } from '../kube/client.ts';
import { RunDeadlineError } from '../kube/errors.ts';
import type { Inventory, RememberedInventory } from '../sync/inventory.ts';
import { failedResult, NO_TIMINGS, type SyncResult } from '../sync/result.ts';
import type { SyncProgress } from '../sync/sync-objects.ts';
import { openCluster } from './cluster-session.ts';
import { runTimeout, type EngineSettings, type RunRequest } from './settings.ts';
import { jqRuleProblems } from './jq-rules-step.ts';
import { fetchAndRender } from './sources-step.ts';
import { syncRendered, type SyncStep } from './sync-step.ts';

export interface ReconcileProgress {
  phase: 'source' | 'render' | SyncProgress['phase'];
  message: string;
  apply?: SyncProgress['apply'];
}

export interface ReconcileOptions {
  cluster: { name: string; connection: ClusterConnection };
  settings: EngineSettings;
  /** The application's project (its rules for what the sync may write); absent: the built-in default. */
  project?: Project;
  /** What this run is asked to do; default: a sync of the spec's target, waiting for health. */
  request?: RunRequest;
  /** The inventory of the last successful sync; prune works from it. */
  previous?: Inventory;
  /**
   * Instead of `previous`, for a drift check: the inventory as the head item
   * remembers it, read only when the live objects do not prove it.
   */
  recall?: RememberedInventory;
  onProgress?: (progress: ReconcileProgress) => void;
  /**
   * Aborted when the caller must stop (its lease was lost, its Lambda's end is
   * near): like the run's own deadline, nothing more is sent to the cluster.
   */
  signal?: AbortSignal;
  /** Stores the inventory a sync may leave behind, before its first write (see SyncObjectsOptions). */
  beforeApply?: (intent: Inventory) => Promise<void>;
}

/**
 * One reconcile of one application on one cluster: fetch the source, render
 * it, then diff, apply, prune and assess health. Every failure, from an
 * unknown branch to an unreachable cluster, comes back as a `Failed` result
 * with a message a person can act on, never as a half-finished sync.
 */
export async function reconcile(app: Application, options: ReconcileOptions): Promise<SyncResult> {
  const started = Date.now();
  // One deadline for the whole run, and one signal for every way it is told
  // to stop (that deadline, a lost lease, a Lambda's end): the cluster
  // client is bound to it, so it reaches every Kubernetes request.
  const limit = runTimeout(options.request ?? {}, app.spec.healthTimeout, options.settings);
  const bound = deadlineBound(
    started + limit.ms,
    new RunDeadlineError(limit.description),
    options.signal,
  );
  try {
    const result = await reconcileSteps(app, options, bound, started);
    return { ...result, project: options.project?.metadata.name ?? DEFAULT_PROJECT_NAME };
  } finally {
    bound.clear();
  }
}

/** What every failed result of this run says besides its error. */
function failedHeader(app: Application, options: ReconcileOptions, revision: string) {
  return {
    app: app.metadata.name,
    cluster: options.cluster.name,
    revision,
    dryRun: Boolean(options.request?.dryRun),
    previous: options.previous,
  };
}

/** The sync step of this run: its request, and the run's one signal and deadline. */
function syncStepOf(options: ReconcileOptions, bound: RequestBound, revision: string): SyncStep {
  return {
    cluster: options.cluster.name,
    project: options.project,
    revision,
    settings: options.settings,
    request: options.request ?? {},
    previous: options.previous,
    recall: options.recall,
    onProgress: (p) => options.onProgress?.(p),
    signal: bound.signal,
    deadline: bound.deadline,
    beforeApply: options.beforeApply,
  };
}

async function reconcileSteps(
  app: Application,
  options: ReconcileOptions,
  bound: RequestBound,
  started: number,
): Promise<SyncResult> {
  const progress = (p: ReconcileProgress): void => options.onProgress?.(p);
  const timings = { ...NO_TIMINGS };
  let revision = options.request?.revision ?? targetRevisionOf(app);
  const failed = (error: string, phase?: 'source' | 'render', watchPaths?: string[]) =>
    failedResult({
      ...failedHeader(app, options, revision),
      error,
      phase,
      watchPaths,
      timings: { ...timings, totalMs: Date.now() - started },
    });
  const configProblems = await jqRuleProblems(app);
  if (configProblems.length > 0)
    return failed(
      `configuration of application ${app.metadata.name}: ${configProblems.join('; ')}`,
      'render',
    );
  const session = openCluster(options.cluster.connection, options.settings);
  session.client.bind(bound);
  try {
    const cluster = async () => ({
      kubeVersion: await session.kubeVersion(),
      apiVersions: session.apiVersions,
    });
    const sources = await fetchAndRender(
      app,
      revision,
      options.settings,
      cluster,
      progress,
      options.project,
    );
    revision = sources.revision;
    if ('error' in sources) return failed(sources.error, sources.phase, sources.watchPaths);
    const { rendered } = sources;
    timings.sourceMs = sources.sourceMs;
    timings.renderMs = Date.now() - started - timings.sourceMs;
    const result = await syncRendered(app, session, rendered, syncStepOf(options, bound, revision));
    return {
      ...result,
      watchPaths: sources.watchPaths,
      timings: { ...timings, ...result.timings, totalMs: Date.now() - started },
    };
  } catch (err) {
    return failed(`cluster ${options.cluster.name}: ${(err as Error).message}`);
  } finally {
    session.close();
  }
}
