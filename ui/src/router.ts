import { useEffect, useState } from 'preact/hooks';

/**
 * The page a hash names. Routes live in the fragment (`#/apps/NAME/history`)
 * so the server serves one page at `/` and every other path stays the API's.
 */
export type Route =
  | { page: 'list' }
  | { page: 'app'; name: string }
  | { page: 'history'; name: string }
  | { page: 'rollout'; name: string };

export function parseRoute(hash: string): Route {
  const [, apps, name, sub] = hash.replace(/^#/, '').split('/');
  if (apps !== 'apps' || !name) return { page: 'list' };
  const app = decodeURIComponent(name);
  if (sub === 'history') return { page: 'history', name: app };
  if (sub === 'rollout') return { page: 'rollout', name: app };
  return { page: 'app', name: app };
}

export function href(route: Route): string {
  if (route.page === 'list') return '#/';
  const base = `#/apps/${encodeURIComponent(route.name)}`;
  return route.page === 'app' ? base : `${base}/${route.page}`;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}
