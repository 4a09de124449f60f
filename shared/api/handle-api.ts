import { getRegistryEntry, listRegistry } from '../state/registry.ts';
import { appSummary } from './app-summary.ts';
import { diffApp, showApp, showHistory } from './read-routes.ts';
import { error, ok } from './respond.ts';
import type { ApiDeps, ApiRequest, ApiResponse, AppRoute } from './types.ts';
import { rollbackApp, setSuspendedRoute, syncApp } from './write-routes.ts';

export type { ApiDeps, ApiRequest, ApiResponse } from './types.ts';

/** `METHOD action` under `/apps/NAME` (an empty action is the application itself). */
const APP_ROUTES: Record<string, (route: AppRoute) => Promise<ApiResponse>> = {
  'GET ': showApp,
  'GET diff': diffApp,
  'GET history': showHistory,
  'POST sync': syncApp,
  'POST rollback': rollbackApp,
  'POST suspend': setSuspendedRoute(true),
  'POST resume': setSuspendedRoute(false),
};

/**
 * The API's routes, independent of API Gateway: list, show, diff, sync,
 * history, rollback, suspend and resume. Writes go through the queue (sync,
 * rollback) or the lease (suspend, resume), never around them.
 */
export async function handleApi(req: ApiRequest, deps: ApiDeps): Promise<ApiResponse> {
  const segments = req.path.replace(/^\/+|\/+$/g, '').split('/');
  const notFound = error(404, `no route ${req.method} ${req.path}`);
  if (segments[0] !== 'apps' || segments.length > 3) return notFound;
  if (segments.length === 1) {
    if (req.method !== 'GET') return notFound;
    const entries = await listRegistry(deps.table);
    return ok({ apps: await Promise.all(entries.map((e) => appSummary(deps, e))) });
  }
  const handler = APP_ROUTES[`${req.method} ${segments[2] ?? ''}`];
  if (!handler) return notFound;
  const name = segments[1] ?? '';
  const entry = await getRegistryEntry(deps.table, name);
  if (!entry) return error(404, `application ${name} is not registered`);
  return handler({ req, deps, name, entry, now: (deps.now ?? Date.now)() });
}
