import type { Application } from '../config/application.ts';
import type { SourceEntry } from '../config/sources.ts';
import { destinationOf } from '../config/destinations.ts';
import {
  detectRenderer,
  fetchedCharts,
  fetchOnce,
  render,
  renderChart,
  type ChartFetcher,
  type RenderedObject,
  type RenderOptions,
} from '../render/index.ts';
import type { Containment } from '../render/containment.ts';
import { renderWithCache } from '../render/render-cache.ts';
import { fetchChart } from '../source/app-source.ts';
import type { EngineSettings } from './settings.ts';
import type { FetchedSource } from './source-step.ts';
import type { Project } from '../config/project.ts';
import { sourcePermitted } from '../config/project-permits.ts';

/** A `ref` source's checkout and the revision it is at (value files read from it change the render). */
export interface RefCheckout extends Containment {
  /** Where the files come from and at which revision: all of it keys the render cache. */
  repoURL: string;
  path: string;
  revision: string;
}

/** What the render needs of the destination cluster. */
export interface ClusterFacts {
  kubeVersion: string;
  apiVersions: () => Promise<string[]>;
}

/**
 * The application's objects from its checkout or chart, validated within its
 * limits; an unchanged commit (or chart digest), spec and cluster reuse the
 * last render.
 */
export async function renderApp(
  app: Application,
  entry: SourceEntry,
  fetched: FetchedSource,
  settings: EngineSettings,
  cluster: ClusterFacts,
  valueSources: ReadonlyMap<string, RefCheckout> = new Map(),
  project?: Project,
): Promise<RenderedObject[]> {
  const spec = entry.render;
  const namespace = destinationOf(app).namespace ?? 'default';
  const { binaries } = settings.render;
  const { kubeVersion } = cluster;
  const helm = fetched.kind === 'chart' || detectRenderer(fetched.source.appDir, spec) === 'helm';
  // Only Helm asks what the cluster serves; a CRD installed elsewhere then
  // renders a chart again, not every application.
  const apiVersions = helm ? await cluster.apiVersions() : undefined;
  const options: RenderOptions = {
    namespace,
    kubeVersion,
    ...(apiVersions ? { apiVersions } : {}),
    releaseName: app.metadata.name,
    binaries,
    tools: {
      timeoutMs: settings.render.toolTimeoutMs,
      maxOutputBytes: app.spec.limits.maxRenderedBytes,
    },
    maxObjects: app.spec.limits.maxObjects,
    valueSources,
    ...chartOptions(settings, app.spec.limits, project),
    ...(fetched.kind === 'git' && {
      containment: { root: fetched.source.root, refusedLinks: fetched.source.refusedLinks },
    }),
  };
  // A range (Chart.yaml dependencies, helmCharts) may pick a newer chart at the same commit.
  const charts =
    fetched.kind === 'git' ? await fetchedCharts(fetched.source.appDir, spec, options) : [];
  const cached = await renderWithCache(
    settings.source.cacheDir,
    {
      repoURL: entry.source.repoURL,
      // A chart's bytes, not only its version: a republished version renders again.
      revision:
        fetched.kind === 'chart' ? `${fetched.revision}@${fetched.chart.digest}` : fetched.revision,
      path: entry.source.path,
      app: app.metadata.name,
      spec: [spec ?? null, app.spec.limits],
      namespace,
      kubeVersion,
      apiVersions: apiVersions ?? null,
      ...(valueSources.size
        ? {
            valueSources: [...valueSources].map(
              ([ref, c]) => `${ref} ${c.repoURL} ${c.path} ${c.revision}`,
            ),
          }
        : {}),
      binaries: [
        binaries ?? null,
        process.env.DRIFTLESS_KUSTOMIZE ?? null,
        process.env.DRIFTLESS_HELM ?? null,
      ],
      ...(charts.length ? { charts } : {}),
    },
    () =>
      fetched.kind === 'chart'
        ? renderChart(fetched.chart.archive, spec, options)
        : render(fetched.source.appDir, spec, options),
    settings.render.cacheSealKey,
  );
  return cached.objects;
}

/**
 * The charts a render fetches (Chart.yaml dependencies, kustomize helmCharts)
 * come as an application's own chart does: cached by digest, checked against
 * the index, credentials only under their repository's URL, bounded by the
 * application's maxFetchBytes, from repositories its project allows; one
 * answer per chart for the whole render.
 * The scratch copy they are rendered in holds no more than one fetch may.
 */
function chartOptions(
  settings: EngineSettings,
  limits: Application['spec']['limits'],
  project: Project | undefined,
): Pick<RenderOptions, 'charts' | 'scratch'> {
  const { maxFetchBytes, maxFileBytes } = limits;
  const options = { ...settings.source, limits: { ...settings.source.limits, maxFetchBytes } };
  const charts: ChartFetcher = fetchOnce({
    async fetch(repoURL, chart, range) {
      // A repository author names these: the project decides, as for the app's own source,
      // before any request (credentials are the installation's, not the project's).
      if (project && !sourcePermitted(project, repoURL))
        throw new Error(
          `chart ${chart} from ${repoURL}: the repository is not in project ${project.metadata.name}'s sourceRepos`,
        );
      const found = await fetchChart(
        { repoURL, chart, targetRevision: range, path: '.' },
        range,
        options,
      );
      return { archive: found.archive, version: found.revision, digest: found.digest };
    },
  });
  return { charts, scratch: { maxFileBytes, maxTotalBytes: maxFetchBytes } };
}
