import type { Application } from '../config/application.ts';
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
import { renderWithCache } from '../render/render-cache.ts';
import { fetchChart } from '../source/app-source.ts';
import type { EngineSettings } from './settings.ts';
import type { FetchedSource } from './source-step.ts';

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
  fetched: FetchedSource,
  settings: EngineSettings,
  cluster: ClusterFacts,
): Promise<RenderedObject[]> {
  const namespace = destinationOf(app).namespace ?? 'default';
  const { binaries } = settings.render;
  const { kubeVersion } = cluster;
  const helm =
    fetched.kind === 'chart' || detectRenderer(fetched.source.appDir, app.spec.render) === 'helm';
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
    ...chartOptions(settings, app.spec.limits),
    ...(fetched.kind === 'git' && {
      containment: { root: fetched.source.root, refusedLinks: fetched.source.refusedLinks },
    }),
  };
  // A range (Chart.yaml dependencies, helmCharts) may pick a newer chart at the same commit.
  const charts =
    fetched.kind === 'git'
      ? await fetchedCharts(fetched.source.appDir, app.spec.render, options)
      : [];
  const cached = await renderWithCache(
    settings.source.cacheDir,
    {
      repoURL: app.spec.source.repoURL,
      // A chart's bytes, not only its version: a republished version renders again.
      revision:
        fetched.kind === 'chart' ? `${fetched.revision}@${fetched.chart.digest}` : fetched.revision,
      path: app.spec.source.path,
      app: app.metadata.name,
      spec: [app.spec.render ?? null, app.spec.limits],
      namespace,
      kubeVersion,
      apiVersions: apiVersions ?? null,
      binaries: [
        binaries ?? null,
        process.env.DRIFTLESS_KUSTOMIZE ?? null,
        process.env.DRIFTLESS_HELM ?? null,
      ],
      ...(charts.length ? { charts } : {}),
    },
    () =>
      fetched.kind === 'chart'
        ? renderChart(fetched.chart.archive, app.spec.render, options)
        : render(fetched.source.appDir, app.spec.render, options),
    settings.render.cacheSealKey,
  );
  return cached.objects;
}

/**
 * The charts a render fetches (Chart.yaml dependencies, kustomize helmCharts)
 * come as an application's own chart does: cached by digest, checked against
 * the index, credentials only under their repository's URL, bounded by the
 * application's maxFetchBytes; one answer per chart for the whole render.
 * The scratch copy they are rendered in holds no more than one fetch may.
 */
function chartOptions(
  settings: EngineSettings,
  limits: Application['spec']['limits'],
): Pick<RenderOptions, 'charts' | 'scratch'> {
  const { maxFetchBytes, maxFileBytes } = limits;
  const options = { ...settings.source, limits: { ...settings.source.limits, maxFetchBytes } };
  const charts: ChartFetcher = fetchOnce({
    async fetch(repoURL, chart, range) {
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
