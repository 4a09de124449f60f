import type { Application } from '../config/application.ts';
import { detectRenderer } from '../render/index.ts';
import { kustomizeInputs } from '../render/kustomize-inputs.ts';
import { fetchSource, type SourceOptions, type SourceResult } from '../source/index.ts';

export interface FetchedSource {
  source: SourceResult;
  /** Repository paths outside the app path that its kustomization reads (webhook routing). */
  watchPaths: string[];
}

/**
 * The application's files at `revision`, bounded by its limits. A Kustomize
 * application gets the whole tree (overlays reach `../base`) from the same
 * cached commit, and the paths it reads outside its own.
 */
export async function fetchAppSource(
  app: Application,
  revision: string,
  options: SourceOptions,
): Promise<FetchedSource> {
  const { limits } = app.spec;
  const bounded: SourceOptions = {
    ...options,
    limits: { maxFetchBytes: limits.maxFetchBytes, maxFileBytes: limits.maxFileBytes },
  };
  const source = await fetchSource({ ...app.spec.source, targetRevision: revision }, bounded);
  if (detectRenderer(source.appDir, app.spec.render) !== 'kustomize')
    return { source, watchPaths: [] };
  // Same commit, already cached: this only writes the rest of the tree.
  const tree = await fetchSource(
    { ...app.spec.source, targetRevision: source.revision },
    { ...bounded, checkout: 'repository' },
  );
  return { source: tree, watchPaths: kustomizeInputs(tree.repoDir!, app.spec.source.path) };
}
