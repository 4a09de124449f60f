import { realpathSync } from 'node:fs';
import type { Containment } from './containment.ts';
import { detectRenderer, type Renderer } from './detect.ts';
import { renderDirectory } from './directory.ts';
import type { Parsed } from './documents.ts';
import { RenderError } from './errors.ts';
import { renderHelm, renderHelmArchive } from './helm.ts';
import { renderKustomize } from './kustomize.ts';
import { DEFAULT_MAX_OUTPUT_BYTES, type ToolLimits } from './run-tool.ts';
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
}

async function parse(
  appDir: string,
  renderer: Renderer,
  spec: RenderSpec | undefined,
  options: RenderOptions,
): Promise<Parsed> {
  const limits = options.tools ?? {};
  const containment = options.containment ?? {
    root: realpathSync.native(appDir),
    refusedLinks: [],
  };
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
        },
        limits,
        containment,
      );
    case 'kustomize':
      return renderKustomize(
        appDir,
        spec?.kustomize ?? {},
        options.binaries?.kustomize,
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
    },
    options.tools ?? {},
  );
  const { objects, issues } = validateCandidates(parsed.candidates, options.namespace, options);
  const all = [...parsed.issues, ...issues];
  if (all.length > 0) throw new RenderError(all);
  return objects;
}
