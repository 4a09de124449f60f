import * as git from 'isomorphic-git';
import { RevisionNotFoundError, type SourceContext } from './errors.ts';
import { openRemote, remoteError, type Remote, type RemoteOptions } from './remote.ts';
import { isFullSha, type SourceSpec } from './spec.ts';

export interface ResolvedRevision {
  /** The commit SHA. */
  revision: string;
  /** The full ref it came from (`refs/heads/main`), absent when the spec names a SHA. */
  ref?: string;
}

/** Refs to ask for, in order of preference. */
function candidates(targetRevision: string): string[] {
  if (targetRevision === 'HEAD' || targetRevision.startsWith('refs/')) return [targetRevision];
  // Branches first: the usual GitOps target, and one lookup instead of two.
  return [`refs/heads/${targetRevision}`, `refs/tags/${targetRevision}`];
}

async function lookup(remote: Remote, ref: string): Promise<ResolvedRevision | undefined> {
  // Protocol v2 with a prefix keeps the answer ls-remote sized on repositories with
  // thousands of refs (pull-request refs), where a v1 advertisement lists them all.
  const refs = await git.listServerRefs({
    http: remote.http,
    url: remote.url,
    headers: remote.headers(),
    prefix: ref,
    symrefs: ref === 'HEAD',
    peelTags: ref.startsWith('refs/tags/'),
  });
  // A prefix also matches longer names (`main` matches `main-old`).
  const found = refs.find((r) => r.ref === ref);
  if (!found) return undefined;
  const revision = found.peeled ?? found.oid;
  return { revision, ref: ref === 'HEAD' ? (found.target ?? 'HEAD') : ref };
}

/** Asks the server which commit the target revision names, without fetching. */
export async function resolveRevisionWith(
  remote: Remote,
  spec: SourceSpec,
): Promise<ResolvedRevision> {
  if (isFullSha(spec.targetRevision)) return { revision: spec.targetRevision };
  const context: SourceContext = { repoURL: spec.repoURL, revision: spec.targetRevision };
  for (const ref of candidates(spec.targetRevision)) {
    let found: ResolvedRevision | undefined;
    try {
      found = await lookup(remote, ref);
    } catch (error) {
      throw remoteError(error, context, remote);
    }
    if (found) return found;
  }
  throw new RevisionNotFoundError(
    context,
    spec.targetRevision === 'HEAD'
      ? 'the repository has no default branch (is it empty?)'
      : 'no branch or tag of that name on the server',
  );
}

/**
 * The cheap check a reconcile starts with: one ls-refs exchange (none for a
 * full SHA). When the commit equals the last synced one, nothing else is needed.
 */
export async function resolveRevision(
  spec: SourceSpec,
  options: RemoteOptions = {},
): Promise<ResolvedRevision> {
  return resolveRevisionWith(await openRemote(spec.repoURL, options), spec);
}
