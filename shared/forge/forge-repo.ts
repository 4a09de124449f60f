import type { ForgeKind, ForgeRepo } from './types.ts';

/** Decoded path segments; undefined if one is empty, a dot segment, or hides a separator (`%2F`). */
function segmentsOf(path: string): string[] | undefined {
  try {
    const segments = path.split('/').map(decodeURIComponent);
    const plain = (s: string) => s !== '' && s !== '.' && s !== '..' && !/[/\\]/.test(s);
    return segments.every(plain) ? segments : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The repository a repository URL names, from its path below the forge's
 * web root, without a trailing slash or `.git`: exactly `owner/name` on
 * GitHub, Gitea and Bitbucket, `group/…/project` on GitLab (every group
 * is part of the owner). Undefined for any other shape, so a URL that is
 * not plainly a repository reaches no API.
 */
export function forgeRepoFrom(
  kind: ForgeKind,
  repoURL: string,
  root: string,
): ForgeRepo | undefined {
  const url = URL.parse(repoURL);
  if (!url?.pathname.startsWith(root)) return undefined;
  const path = url.pathname
    .slice(root.length)
    .replace(/\/+$/, '')
    .replace(/\.git$/i, '');
  const segments = segmentsOf(path);
  if (!segments || segments.length < 2) return undefined;
  if (kind !== 'gitlab' && segments.length !== 2) return undefined;
  const name = segments.pop()!;
  return { owner: segments.join('/'), name };
}
