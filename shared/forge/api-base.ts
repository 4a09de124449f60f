import type { ForgeKind } from './types.ts';

/** Where a self-hosted forge serves its REST API, below its web root. */
const API_PATH: Record<Exclude<ForgeKind, 'bitbucket'>, string> = {
  github: '/api/v3',
  gitlab: '/api/v4',
  gitea: '/api/v1',
};

/**
 * The API base for a forge at `origin` when the credential names none:
 * GitHub.com and Bitbucket Cloud have their own API hosts, a self-hosted
 * GitHub Enterprise, GitLab or Gitea serves it under its origin. Undefined
 * for Bitbucket on any other host: Bitbucket Data Center has another API
 * altogether, so there is nothing to guess.
 *
 * A forge served under a sub-path (`https://host/gitea/`) cannot be told
 * from a repository URL, whose path might as well start with an owner, so
 * it needs `apiURL`; see webRoot.
 */
export function defaultApiBase(kind: ForgeKind, origin: string): string | undefined {
  if (kind === 'bitbucket')
    return origin === 'https://bitbucket.org' ? 'https://api.bitbucket.org/2.0' : undefined;
  if (kind === 'github' && origin === 'https://github.com') return 'https://api.github.com';
  return `${origin}${API_PATH[kind]}`;
}

/**
 * The path under which repositories live on the forge's web origin: `/`,
 * or, when `apiBase` is on that origin and ends with the forge's API path,
 * what comes before it (`https://host/gitea/api/v1` → `/gitea/`). This is
 * how a forge under a sub-path is recognised: by the `apiURL` it needs.
 */
export function webRoot(kind: ForgeKind, apiBase: string, origin: string): string {
  const api = new URL(apiBase);
  if (kind === 'bitbucket' || api.origin !== origin) return '/';
  const suffix = API_PATH[kind];
  return api.pathname.endsWith(suffix) ? `${api.pathname.slice(0, -suffix.length)}/` : '/';
}
