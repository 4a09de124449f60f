/**
 * A comparison key for repository URLs, so a push reported as
 * `https://GitHub.com/Org/Repo.git` finds the application that declared
 * `https://github.com/org/repo`: scheme, credentials, port, case, a trailing
 * slash and `.git` do not matter; scp-like SSH forms (`git@host:org/repo`)
 * map to the same key.
 */
export function normalizeRepoURL(url: string): string {
  const scp = /^[\w.-]+@([\w.-]+):(.+)$/.exec(url);
  let host: string;
  let path: string;
  if (scp && !url.includes('://')) {
    host = scp[1]!;
    path = scp[2]!;
  } else {
    const parsed = new URL(url);
    host = parsed.hostname;
    path = parsed.pathname;
  }
  path = path
    .replace(/^\/+/, '')
    .replace(/\/+$/, '')
    .replace(/\.git$/i, '');
  return `${host}/${path}`.toLowerCase();
}
