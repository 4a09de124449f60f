import { realpathSync } from 'node:fs';
import type { ChartFetcher } from './charts.ts';
import type { Containment } from './containment.ts';
import { detectRenderer, type Renderer } from './detect.ts';
import { renderDirectory } from './directory.ts';
import type { Parsed } from './documents.ts';
import { RenderError } from './errors.ts';
import { helmFetchedCharts, renderHelm, renderHelmArchive } from './helm.ts';
import { kustomizeFetchedCharts, renderKustomize } from './kustomize.ts';
import { DEFAULT_MAX_OUTPUT_BYTES, type ToolLimits } from './run-tool.ts';
import type { ScratchLimits } from './scratch-copy.ts';
import type { RenderSpec } from './spec.ts';
import type { RenderedObject } from './types.ts';
import { validateCandidates, type ValidationLimits } from './validate.ts';

export interface RenderOptions extends ValidationLimits {
  /** The destination namespace: Helm's `--namespace`, and the namespace of objects that name none. */
  namespace: string;
  /** The cluster's version, for Helm's `.Capabilities.KubeVersion` (`v1.36.3`). */
  kubeVersion: string;
  /** What the cluster serves, for Helm's `.Capabilities.APIVersions`; Helm's defaults when absent. */
  apiVersions?: string[];
  /** Helm release name when the spec sets none; the reconciler passes the application name. */
  releaseName?: string;
  /** Binary paths; otherwise DRIFTLESS_KUSTOMIZE / DRIFTLESS_HELM, then PATH. */
  binaries?: { kustomize?: string; helm?: string };
  /** Limits for each kustomize or helm run. */
  tools?: ToolLimits;
  /**
   * What the render may read: the checkout's resolved root and its refused
   * links. Default: the application folder alone, with no refused links.
   */
  containment?: Containment;
  /**
   * Fetches the charts a render names outside the checkout: Chart.yaml
   * dependencies missing from `charts/`, and kustomize helmCharts. The
   * engine builds it; without it such a render fails, naming the chart.
   */
  charts?: ChartFetcher;
  /** The checkouts of the application's `ref` sources, by ref, for Helm's `$ref/…` value files. */
  valueSources?: ReadonlyMap<string, Containment>;
  /** Bounds the scratch copy a render with fetched charts is made from. Default 16 MiB a file, 512 MiB in all. */
  scratch?: ScratchLimits;
}

function containmentOf(appDir: string, options: RenderOptions): Containment {
  return options.containment ?? { root: realpathSync.native(appDir), refusedLinks: [] };
}

async function parse(
  appDir: string,
  renderer: Renderer,
  spec: RenderSpec | undefined,
  options: RenderOptions,
): Promise<Parsed> {
  const limits = options.tools ?? {};
  const containment = containmentOf(appDir, options);
  switch (renderer) {
    case 'helm':
      return renderHelm(
        appDir,
        spec?.helm ?? { valueFiles: [] },
        {
          namespace: options.namespace,
          kubeVersion: options.kubeVersion,
          apiVersions: options.apiVersions,
          releaseName: options.releaseName,
          binary: options.binaries?.helm,
          charts: options.charts,
          scratch: options.scratch,
          valueSources: options.valueSources,
        },
        limits,
        containment,
      );
    case 'kustomize':
      return renderKustomize(
        appDir,
        spec?.kustomize ?? {},
        {
          binary: options.binaries?.kustomize,
          helmBinary: options.binaries?.helm,
          kubeVersion: options.kubeVersion,
          charts: options.charts,
          scratch: options.scratch,
        },
        limits,
        containment,
      );
    case 'directory':
      return renderDirectory(
        appDir,
        spec?.directory ?? { recurse: false },
        containment,
        limits.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES,
      );
  }
}

/**
 * Turns an application directory into validated objects, exactly as written:
 * no namespace defaulting, no ownership labels (a later stage adds those).
 * Throws RenderError listing every invalid document, or a ToolNotFoundError /
 * ToolRunError when kustomize or helm cannot run.
 */
export async function render(
  appDir: string,
  spec: RenderSpec | undefined,
  options: RenderOptions,
): Promise<RenderedObject[]> {
  const parsed = await parse(appDir, detectRenderer(appDir, spec), spec, options);
  const { objects, issues } = validateCandidates(parsed.candidates, options.namespace, options);
  const all = [...parsed.issues, ...issues];
  if (all.length > 0) throw new RenderError(all);
  return objects;
}

/**
 * The charts a render of `appDir` fetches from Helm repositories, resolved
 * and verified (with `options.charts`, which should answer the render the
 * same: see fetchOnce), as `repository name version sha256`. The render
 * cache key needs them: a range may pick a newer chart at the same commit.
 * Fails as the render would when a chart cannot be fetched.
 */
export async function fetchedCharts(
  appDir: string,
  spec: RenderSpec | undefined,
  options: RenderOptions,
): Promise<string[]> {
  const containment = containmentOf(appDir, options);
  switch (detectRenderer(appDir, spec)) {
    case 'helm':
      return helmFetchedCharts(appDir, containment, options.charts);
    case 'kustomize':
      return kustomizeFetchedCharts(appDir, spec?.kustomize ?? {}, containment, options.charts);
    case 'directory':
      return [];
  }
}

/** A chart archive from a Helm repository, rendered and validated as `render` does a folder. */
export async function renderChart(
  archive: string,
  spec: RenderSpec | undefined,
  options: RenderOptions,
): Promise<RenderedObject[]> {
  if (spec?.kustomize || spec?.directory)
    throw new RenderError([
      {
        message:
          'a chart from a Helm repository renders with Helm; render.kustomize and render.directory do not apply',
      },
    ]);
  const parsed = await renderHelmArchive(
    archive,
    spec?.helm ?? { valueFiles: [] },
    {
      namespace: options.namespace,
      kubeVersion: options.kubeVersion,
      apiVersions: options.apiVersions,
      releaseName: options.releaseName,
      binary: options.binaries?.helm,
      valueSources: options.valueSources,
    },
    options.tools ?? {},
  );
  const { objects, issues } = validateCandidates(parsed.candidates, options.namespace, options);
  const all = [...parsed.issues, ...issues];
  if (all.length > 0) throw new RenderError(all);
  return objects;
}
