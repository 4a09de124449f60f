/** The first 7 characters of each commit of a revision (several sources: comma-separated). */
export function shortRevision(revision: string | undefined): string {
  if (!revision) return '—';
  return revision
    .split(',')
    .map((r) => (/^[0-9a-f]{40}$/.test(r) ? r.slice(0, 7) : r))
    .join(', ');
}

/**
 * The forge's page of a commit, for the forges whose URL scheme is known;
 * undefined for any other server (a link there would lead nowhere).
 */
export function commitUrl(
  repoURL: string | undefined,
  revision: string | undefined,
): string | undefined {
  if (!repoURL || !revision || !/^[0-9a-f]{40}$/.test(revision)) return undefined;
  let url: URL;
  try {
    url = new URL(repoURL);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:') return undefined;
  const base = `${url.origin}${url.pathname.replace(/\.git$/, '').replace(/\/+$/, '')}`;
  if (url.hostname === 'github.com') return `${base}/commit/${revision}`;
  if (url.hostname === 'gitlab.com' || url.hostname.startsWith('gitlab.'))
    return `${base}/-/commit/${revision}`;
  if (url.hostname === 'bitbucket.org') return `${base}/commits/${revision}`;
  if (url.hostname === 'codeberg.org' || url.hostname.startsWith('gitea.'))
    return `${base}/commit/${revision}`;
  return undefined;
}

/** "3 min ago", "just now": how long ago an epoch-ms time was. */
export function ago(at: number | undefined, now = Date.now()): string {
  if (!at) return '—';
  const s = Math.max(0, Math.round((now - at) / 1000));
  if (s < 10) return 'just now';
  if (s < 90) return `${s} s ago`;
  if (s < 90 * 60) return `${Math.round(s / 60)} min ago`;
  if (s < 36 * 3600) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}

export function duration(ms: number): string {
  return ms < 1000
    ? `${ms} ms`
    : ms < 120_000
      ? `${(ms / 1000).toFixed(1)} s`
      : `${Math.round(ms / 60_000)} min`;
}

export function isoTime(at: number | undefined): string {
  return at ? new Date(at).toISOString() : '';
}

export function describeRef(ref: { kind: string; namespace?: string; name: string }): string {
  return ref.namespace ? `${ref.kind} ${ref.namespace}/${ref.name}` : `${ref.kind} ${ref.name}`;
}
