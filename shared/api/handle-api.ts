import { getRegistryEntry, listRegistry, type RegistryEntry } from '../state/registry.ts';
import { readApps } from '../state/head.ts';
import { appSummary } from './app-summary.ts';
import { conditional } from './etag.ts';
import { diffApp, showApp, showHistory } from './read-routes.ts';
import { error, ok } from './respond.ts';
import { rolloutApp } from './rollout-route.ts';
import { treeApp } from './tree-route.ts';
import type { ApiDeps, ApiRequest, ApiResponse, AppRoute } from './types.ts';
import { rollbackApp, setSuspendedRoute, syncApp } from './write-routes.ts';

export type { ApiDeps, ApiRequest, ApiResponse } from './types.ts';

/** `METHOD action` under `/apps/NAME` (an empty action is the application itself). */
const APP_ROUTES: Record<string, (route: AppRoute) => Promise<ApiResponse>> = {
  'GET ': showApp,
  'GET diff': diffApp,
  'GET history': showHistory,
  'GET tree': treeApp,
  'GET rollout': rolloutApp,
  'POST sync': syncApp,
  'POST rollback': rollbackApp,
  'POST suspend': setSuspendedRoute(true),
  'POST resume': setSuspendedRoute(false),
};

/** A request path as routed: the segments from `apps` on, and the project it is under, if any. */
interface Scoped {
  project: string | undefined;
  segments: string[];
}

/** `/apps/…`, or `/projects/PROJECT/apps/…` for one project's applications; undefined for any other path. */
function scopeOf(path: string): Scoped | undefined {
  const segments = path.replace(/^\/+|\/+$/g, '').split('/');
  if (segments[0] === 'projects' && segments[1] && segments[2] === 'apps')
    return { project: segments[1], segments: segments.slice(2) };
  if (segments[0] === 'apps') return { project: undefined, segments };
  return undefined;
}

/**
 * Whether an entry is served under the scope: every entry under `/apps`; under
 * a project, only its applications (a disabled entry without a definition has
 * no known project, so it is served under `/apps` only). A caller limited to
 * some projects (`allowedProjects`) is served only their applications, under
 * either path.
 */
function inScope(
  entry: RegistryEntry,
  project: string | undefined,
  allowed: ReadonlySet<string> | undefined,
): boolean {
  const own = entry.app?.spec.project;
  if (allowed && (own === undefined || !allowed.has(own))) return false;
  return project === undefined || own === project;
}

/**
 * The API's routes, independent of API Gateway: list, show, diff, tree,
 * rollout, sync, history, rollback, suspend and resume, under `/apps` and under
 * `/projects/PROJECT/apps` (where IAM can grant one project's routes). Writes
 * go through the queue (sync, rollback) or the lease (suspend, resume), never
 * around them. GET answers carry an ETag and answer 304 to a matching
 * If-None-Match (etag.ts).
 */
export async function handleApi(req: ApiRequest, deps: ApiDeps): Promise<ApiResponse> {
  const response = await route(req, deps);
  return req.method === 'GET' ? conditional(response, req.ifNoneMatch) : response;
}

async function route(req: ApiRequest, deps: ApiDeps): Promise<ApiResponse> {
  const notFound = error(404, `no route ${req.method} ${req.path}`);
  const scope = scopeOf(req.path);
  if (!scope || scope.segments.length > 3) return notFound;
  const { project, segments } = scope;
  if (segments.length === 1) {
    if (req.method !== 'GET') return notFound;
    const entries = (await listRegistry(deps.table)).filter((e) =>
      inScope(e, project, deps.allowedProjects),
    );
    const records = await readApps(
      deps.table,
      entries.map((e) => e.name),
    );
    return ok({
      apps: await Promise.all(entries.map((e) => appSummary(deps, e, records.get(e.name) ?? null))),
    });
  }
  const handler = APP_ROUTES[`${req.method} ${segments[2] ?? ''}`];
  if (!handler) return notFound;
  const name = segments[1] ?? '';
  const entry = await getRegistryEntry(deps.table, name);
  // Another project's application answers exactly as an unknown one: its existence is not told.
  if (!entry || !inScope(entry, project, deps.allowedProjects))
    return error(404, `application ${name} is not registered`);
  return handler({ req, deps, name, entry, now: (deps.now ?? Date.now)() });
}
