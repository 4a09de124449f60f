import type { Application } from '../config/application.ts';
import { destinationOf } from '../config/destinations.ts';
import { detectRenderer, render, type RenderedObject } from '../render/index.ts';
import { renderWithCache } from '../render/render-cache.ts';
import type { SourceResult } from '../source/index.ts';
import type { EngineSettings } from './settings.ts';

/**
 * The application's objects from its checkout, validated within its limits;
 * an unchanged commit, spec and cluster version reuse the last render.
 */
export async function renderApp(
  app: Application,
  source: SourceResult,
  settings: EngineSettings,
  cluster: { kubeVersion: string; apiVersions: () => Promise<string[]> },
): Promise<RenderedObject[]> {
  const namespace = destinationOf(app).namespace ?? 'default';
  const { binaries } = settings.render;
  const { kubeVersion } = cluster;
  // Only Helm asks what the cluster serves; a CRD installed elsewhere then
  // renders a chart again, not every application.
  const apiVersions =
    detectRenderer(source.appDir, app.spec.render) === 'helm'
      ? await cluster.apiVersions()
      : undefined;
  const cached = await renderWithCache(
    settings.source.cacheDir,
    {
      repoURL: app.spec.source.repoURL,
      revision: source.revision,
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
    },
    () =>
      render(source.appDir, app.spec.render, {
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
        containment: { root: source.root, refusedLinks: source.refusedLinks },
      }),
    settings.render.cacheSealKey,
  );
  return cached.objects;
}
