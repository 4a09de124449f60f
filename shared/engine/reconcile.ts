import { syncOption, type Application } from '../config/application.ts';
import { destinationOf } from '../config/destinations.ts';
import type { ClusterConnection } from '../kube/client.ts';
import { KubeClient } from '../kube/client.ts';
import { Discovery } from '../kube/discovery.ts';
import { detectRenderer, render, type RenderOptions } from '../render/index.ts';
import { renderWithCache } from '../render/render-cache.ts';
import { kustomizeInputs } from '../render/kustomize-inputs.ts';
import { fetchSource, type SourceOptions } from '../source/index.ts';
import type { Inventory } from '../sync/inventory.ts';
import { countActions, type SyncResult } from '../sync/result.ts';
import { syncObjects, type SyncProgress } from '../sync/sync-objects.ts';

export interface ReconcileProgress {
  phase: 'source' | 'render' | SyncProgress['phase'];
  message: string;
  apply?: SyncProgress['apply'];
}

export interface ReconcileOptions {
  cluster: { name: string; connection: ClusterConnection };
  /** Git access: cache folder (on Lambda under /tmp) and credentials. */
  source: SourceOptions;
  /** The inventory of the last successful sync; prune works from it. */
  previous?: Inventory;
  /** Sync this commit (or ref) instead of the spec's targetRevision: rollback. */
  revision?: string;
  /** Compute and report only; write nothing. */
  dryRun?: boolean;
  /** Delete objects removed from the source. Default: the app's syncPolicy.automated.prune. */
  prune?: boolean;
  /** Wait for health after applying. Default true. */
  waitForHealth?: boolean;
  /** Requests in flight at once. Default 16. */
  concurrency?: number;
  /** Bound on the apply phase. Default 5 minutes. */
  applyTimeoutMs?: number;
  render?: Pick<RenderOptions, 'binaries' | 'tools'> & { kubeVersion?: string };
  onProgress?: (progress: ReconcileProgress) => void;
  /** Aborted when the caller's lease is lost: stops further cluster writes. */
  signal?: AbortSignal;
  /** Stores the inventory a sync may leave behind, before its first write (see SyncObjectsOptions). */
  beforeApply?: (intent: Inventory) => Promise<void>;
}

async function serverVersion(client: KubeClient): Promise<string> {
  const version = await client.request<{ gitVersion?: string }>({
    method: 'GET',
    path: '/version',
  });
  return version.gitVersion ?? 'v1.36.0';
}

/**
 * One reconcile of one application on one cluster: fetch the source, render
 * it, then diff, apply, prune and assess health. Every failure, from an
 * unknown branch to an unreachable cluster, comes back as a `Failed` result
 * with a message a person can act on, never as a half-finished sync.
 */
export async function reconcile(app: Application, options: ReconcileOptions): Promise<SyncResult> {
  const started = Date.now();
  const progress = (p: ReconcileProgress): void => options.onProgress?.(p);
  const timings = {
    sourceMs: 0,
    renderMs: 0,
    diffMs: 0,
    applyMs: 0,
    pruneMs: 0,
    healthMs: 0,
    hooksMs: 0,
    totalMs: 0,
  };
  const name = app.metadata.name;
  const client = new KubeClient(options.cluster.connection, {
    maxSockets: Math.max(8, options.concurrency ?? 16),
  });
  // Render needs the cluster's version and the sync its discovery documents;
  // asking now overlaps those round trips (and the TLS handshake) with the
  // Git fetch. A failure resurfaces where the answer is used.
  const discovery = new Discovery(client);
  const versionRead = options.render?.kubeVersion ? undefined : serverVersion(client);
  versionRead?.catch(() => {});
  discovery.refresh().catch(() => {});
  let revision = options.revision ?? app.spec.source.targetRevision;
  const failed = (error: string, phase?: 'source' | 'render'): SyncResult => ({
    app: name,
    cluster: options.cluster.name,
    revision,
    dryRun: Boolean(options.dryRun),
    status: 'Failed',
    error,
    ...(phase ? { phase } : {}),
    objects: [],
    counts: countActions([]),
    hooks: [],
    health: { status: 'Unknown' },
    inventory: options.previous ?? { revision: '', entries: [] },
    manifestDigest: '',
    timings: { ...timings, totalMs: Date.now() - started },
  });
  try {
    progress({
      phase: 'source',
      message: `fetching ${app.spec.source.repoURL} ${revision} (${app.spec.source.path})`,
    });
    let source;
    let watchPaths: string[] = [];
    try {
      const limits = app.spec.limits;
      const sourceOptions = {
        ...options.source,
        limits: { maxFetchBytes: limits.maxFetchBytes, maxFileBytes: limits.maxFileBytes },
      };
      source = await fetchSource({ ...app.spec.source, targetRevision: revision }, sourceOptions);
      if (detectRenderer(source.appDir, app.spec.render) === 'kustomize') {
        // Same commit, already cached: this only writes the rest of the tree.
        source = await fetchSource(
          { ...app.spec.source, targetRevision: source.revision },
          { ...sourceOptions, checkout: 'repository' },
        );
        watchPaths = kustomizeInputs(source.repoDir!, app.spec.source.path);
      }
    } catch (err) {
      return failed(`source: ${(err as Error).message}`, 'source');
    }
    revision = source.revision;
    timings.sourceMs = Date.now() - started;

    const renderStarted = Date.now();
    progress({ phase: 'render', message: `rendering ${source.appDir}` });
    let rendered;
    try {
      const kubeVersion = options.render?.kubeVersion ?? (await versionRead!);
      const namespace = destinationOf(app).namespace ?? 'default';
      const renderOptions: RenderOptions = {
        namespace,
        kubeVersion,
        releaseName: name,
        ...(options.render?.binaries ? { binaries: options.render.binaries } : {}),
        tools: { maxOutputBytes: app.spec.limits.maxRenderedBytes, ...options.render?.tools },
        maxObjects: app.spec.limits.maxObjects,
        containment: { root: source.root, refusedLinks: source.refusedLinks },
      };
      const appDir = source.appDir;
      const cached = await renderWithCache(
        options.source.cacheDir,
        {
          repoURL: app.spec.source.repoURL,
          revision: source.revision,
          path: app.spec.source.path,
          app: name,
          spec: [app.spec.render ?? null, app.spec.limits],
          namespace,
          kubeVersion,
          binaries: [
            options.render?.binaries ?? null,
            process.env.DRIFTLESS_KUSTOMIZE ?? null,
            process.env.DRIFTLESS_HELM ?? null,
          ],
        },
        () => render(appDir, app.spec.render, renderOptions),
      );
      rendered = cached.objects;
    } catch (err) {
      // The paths read are known even when the render fails: the push that
      // fixes a base must still reach this application.
      return { ...failed(`render: ${(err as Error).message}`, 'render'), watchPaths };
    }
    timings.renderMs = Date.now() - renderStarted;

    const automated = app.spec.syncPolicy.automated;
    const result = await syncObjects(
      {
        client,
        discovery,
        app: name,
        namespace: destinationOf(app).namespace,
        concurrency: options.concurrency ?? 16,
        ...(options.signal ? { signal: options.signal } : {}),
      },
      rendered,
      {
        cluster: options.cluster.name,
        revision,
        previous: options.previous,
        dryRun: options.dryRun,
        prune: options.prune ?? automated?.prune ?? false,
        allowEmpty: automated?.allowEmpty ?? false,
        createNamespace: syncOption(app, 'CreateNamespace') ?? false,
        waitForHealth: options.waitForHealth ?? true,
        healthTimeoutMs: app.spec.healthTimeout,
        applyTimeoutMs: options.applyTimeoutMs,
        onProgress: progress,
        ...(options.beforeApply ? { beforeApply: options.beforeApply } : {}),
      },
    );
    return {
      ...result,
      watchPaths,
      timings: { ...timings, ...result.timings, totalMs: Date.now() - started },
    };
  } catch (err) {
    return failed(`cluster ${options.cluster.name}: ${(err as Error).message}`);
  } finally {
    client.close();
  }
}
