import type { Application } from '../config/application.ts';
import { joinRevisions, sourcesOf, splitRevision, type SourceEntry } from '../config/sources.ts';
import type { RenderedObject } from '../render/index.ts';
import { renderApp, type ClusterFacts, type RefCheckout } from './render-step.ts';
import type { EngineSettings } from './settings.ts';
import { fetchAppSource, renderedFrom, type FetchedSource } from './source-step.ts';
import type { Project } from '../config/project.ts';

/** What the sources gave: the objects to sync, at which revision, and the paths they read. */
export interface SourcesRendered {
  revision: string;
  rendered: RenderedObject[];
  watchPaths: string[];
  sourceMs: number;
}

/** Where the sources step failed, with what it knew by then. */
export interface SourcesFailure {
  phase: 'source' | 'render';
  error: string;
  revision: string;
  watchPaths?: string[];
}

/**
 * Fetches every source at its part of `revision` (one part per source), then
 * renders each one that has no `ref` and puts the objects together; a `ref`
 * source only supplies files (`$ref/values.yaml`). A single source is the
 * same with one part. Every source is fetched before anything renders, so a
 * failure names the source and nothing is synced.
 */
export async function fetchAndRender(
  app: Application,
  revision: string,
  settings: EngineSettings,
  cluster: () => Promise<ClusterFacts>,
  progress: (p: { phase: 'source' | 'render'; message: string }) => void,
  project?: Project,
): Promise<SourcesRendered | SourcesFailure> {
  const entries = sourcesOf(app);
  let parts: string[];
  try {
    parts = splitRevision(revision, entries.length);
  } catch (err) {
    return { phase: 'source', error: `source: ${(err as Error).message}`, revision };
  }
  const started = Date.now();
  const fetched: FetchedSource[] = [];
  for (const [i, entry] of entries.entries()) {
    const { source } = entry;
    progress({
      phase: 'source',
      message: `fetching ${source.repoURL} ${parts[i]} (${source.path})`,
    });
    try {
      fetched.push(await fetchAppSource(app, entry, parts[i]!, settings.source));
    } catch (err) {
      return {
        phase: 'source',
        error: `source${label(app, i)}: ${(err as Error).message}`,
        revision,
      };
    }
  }
  const resolved = joinRevisions(fetched.map((f) => f.revision));
  const watchPaths = [...new Set(fetched.flatMap((f) => f.watchPaths))];
  const sourceMs = Date.now() - started;
  const refs = refRoots(entries, fetched);
  const rendered: RenderedObject[] = [];
  for (const [i, entry] of entries.entries()) {
    if (entry.ref) continue;
    progress({ phase: 'render', message: `rendering ${renderedFrom(fetched[i]!)}` });
    try {
      const objects = await renderApp(
        app,
        entry,
        fetched[i]!,
        settings,
        await cluster(),
        refs,
        project,
      );
      rendered.push(...(entries.length > 1 ? objects.map((o) => fromSource(o, i)) : objects));
    } catch (err) {
      // The paths read are known even when the render fails: the push that
      // fixes a base must still reach this application.
      return {
        phase: 'render',
        error: `render${label(app, i)}: ${(err as Error).message}`,
        revision: resolved,
        watchPaths,
      };
    }
  }
  return { revision: resolved, rendered, watchPaths, sourceMs };
}

/** ` of sources[1]` when the application has several. */
function label(app: Application, i: number): string {
  return app.spec.sources ? ` of sources[${i}]` : '';
}

/** The checkouts of `ref` sources, by ref, for `$ref/…` value files. */
function refRoots(entries: SourceEntry[], fetched: FetchedSource[]): Map<string, RefCheckout> {
  const roots = new Map<string, RefCheckout>();
  for (const [i, entry] of entries.entries()) {
    const f = fetched[i]!;
    if (entry.ref && f.kind === 'git')
      roots.set(entry.ref, {
        root: f.source.root,
        refusedLinks: f.source.refusedLinks,
        repoURL: entry.source.repoURL,
        path: entry.source.path,
        revision: f.revision,
      });
  }
  return roots;
}

/** An object's file named with its source, so errors and duplicates say which source. */
function fromSource(object: RenderedObject, i: number): RenderedObject {
  return { ...object, source: { ...object.source, file: `sources[${i}]/${object.source.file}` } };
}
