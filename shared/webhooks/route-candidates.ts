import type { Application } from '../config/application.ts';
import { sourcesOf } from '../config/sources.ts';
import { isGitSource } from '../source/app-source-spec.ts';
import type { RouteCandidate } from './route.ts';

/**
 * What a push may route to: each Git source of the application (a chart or
 * an OCI artifact follows its index or tags, never a push). A `ref` source
 * supplies files anywhere in its repository, so any change there counts.
 */
export function routeCandidates(
  name: string,
  app: Application,
  watchPaths: string[] | undefined,
): RouteCandidate[] {
  return sourcesOf(app).flatMap(({ source, ref }) =>
    !isGitSource(source)
      ? []
      : [
          {
            name,
            repoURL: source.repoURL,
            targetRevision: source.targetRevision,
            path: ref ? '.' : source.path,
            watchPaths,
            suspended: app.spec.suspend,
          },
        ],
  );
}
