import type { Application } from '../config/application.ts';
import type { SourceEntry } from '../config/sources.ts';
import { detectRenderer } from '../render/index.ts';
import { kustomizeInputs } from '../render/kustomize-inputs.ts';
import { existsSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import {
  fetchArtifact,
  fetchChart,
  isChartSource,
  isOciArtifactSource,
  type ChartResult,
} from '../source/app-source.ts';
import type { OciArtifactSource } from '../source/oci/spec.ts';
import { fetchSource, type SourceOptions, type SourceResult } from '../source/index.ts';

/** What the render step gets: a Git checkout or a verified chart archive, at one revision. */
export type FetchedSource =
  | {
      kind: 'git';
      /** The commit SHA. */
      revision: string;
      source: SourceResult;
      /** Repository paths outside the app path that its kustomization reads (webhook routing). */
      watchPaths: string[];
    }
  | {
      kind: 'chart';
      /** The chart version. */
      revision: string;
      chart: ChartResult;
      watchPaths: string[];
    };

/** What a progress line names as being rendered. */
export function renderedFrom(fetched: FetchedSource): string {
  return fetched.kind === 'git'
    ? fetched.source.appDir
    : `chart ${fetched.chart.archive} (${fetched.revision})`;
}

/**
 * The application's files at `revision`, bounded by its limits. A Kustomize
 * application gets the whole tree (overlays reach `../base`) from the same
 * cached commit, and the paths it reads outside its own. A chart from a Helm
 * repository is resolved, downloaded unless cached, and checked against the
 * index's digest.
 */
export async function fetchAppSource(
  app: Application,
  entry: SourceEntry,
  revision: string,
  options: SourceOptions,
): Promise<FetchedSource> {
  const { limits } = app.spec;
  const bounded: SourceOptions = {
    ...options,
    limits: { maxFetchBytes: limits.maxFetchBytes, maxFileBytes: limits.maxFileBytes },
  };
  const spec = entry.source;
  if (isChartSource(spec)) {
    const chart = await fetchChart(spec, revision, bounded);
    return { kind: 'chart', revision: chart.revision, chart, watchPaths: [] };
  }
  if (isOciArtifactSource(spec))
    return fetchArtifactSource(spec, revision, bounded, limits.maxFileBytes);
  const source = await fetchSource({ ...spec, targetRevision: revision }, bounded);
  if (detectRenderer(source.appDir, entry.render) !== 'kustomize')
    return { kind: 'git', revision: source.revision, source, watchPaths: [] };
  // Same commit, already cached: this only writes the rest of the tree.
  const tree = await fetchSource(
    { ...spec, targetRevision: source.revision },
    { ...bounded, checkout: 'repository' },
  );
  return {
    kind: 'git',
    revision: source.revision,
    source: tree,
    watchPaths: kustomizeInputs(tree.repoDir!, spec.path),
  };
}

/** An OCI artifact's layer, unpacked: rendered like a checkout (directory, Kustomize or Helm). */
async function fetchArtifactSource(
  spec: OciArtifactSource,
  revision: string,
  options: SourceOptions,
  maxFileBytes: number,
): Promise<FetchedSource> {
  const started = Date.now();
  let artifact;
  try {
    artifact = await fetchArtifact(spec.repoURL, revision, { ...options, maxFileBytes });
  } catch (err) {
    throw new Error(`artifact ${spec.repoURL} ${revision}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const root = realpathSync.native(artifact.dir);
  const appDir = join(root, spec.path);
  if (!existsSync(appDir))
    throw new Error(
      `artifact ${spec.repoURL} ${revision}: path ${spec.path} is not in the artifact`,
    );
  const source: SourceResult = {
    revision: artifact.revision,
    appDir,
    repoDir: root,
    root,
    refusedLinks: [],
    fetched: artifact.downloaded,
    packBytes: artifact.bytes,
    durationMs: Date.now() - started,
  };
  return { kind: 'git', revision: artifact.revision, source, watchPaths: [] };
}
