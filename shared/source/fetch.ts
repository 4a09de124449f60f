import * as fs from 'node:fs';
import { join } from 'node:path';
import * as git from 'isomorphic-git';
import { hasCommit, LAST_FETCHED_REF, type RepoCache } from './cache.ts';
import { RevisionNotFoundError, type SourceContext } from './errors.ts';
import { remoteError, type Remote } from './remote.ts';
import { isFullSha } from './spec.ts';

async function lastFetched(cache: RepoCache): Promise<string | undefined> {
  try {
    return await git.resolveRef({ fs, gitdir: cache.gitdir, ref: LAST_FETCHED_REF });
  } catch {
    return undefined;
  }
}

/**
 * Fetches exactly one commit, depth 1, no tags. Asking for the commit rather
 * than the branch means the files are those of the commit the head lookup saw,
 * even if the branch moves in between. A full SHA from the spec is asked for
 * the same way (`git fetch origin <sha>`): Git's smart HTTP serves any commit
 * reachable from a ref, and so do GitHub and GitLab; a server that refuses,
 * or a commit no ref reaches, ends in RevisionNotFoundError. We do not walk
 * history with deeper fetches to find it.
 *
 * Returns the size of the pack received.
 */
export async function fetchCommit(
  remote: Remote,
  cache: RepoCache,
  commit: string,
  context: SourceContext,
): Promise<number> {
  const have = await lastFetched(cache);
  let packfile: string | undefined;
  try {
    const result = await git.fetch({
      fs,
      http: remote.http,
      gitdir: cache.gitdir,
      url: remote.url,
      remote: 'origin',
      remoteRef: commit,
      // `ref` only chooses which local commit is offered as a "have".
      ...(have ? { ref: have } : {}),
      headers: remote.headers(),
      singleBranch: true,
      depth: 1,
      tags: false,
    });
    // Returned at runtime (clone uses it) but missing from FetchResult's type.
    packfile = (result as { packfile?: string }).packfile;
  } catch (error) {
    throw remoteError(error, context, remote);
  }
  // isomorphic-git reports success even when the server sent nothing for an unknown commit.
  if (!(await hasCommit(cache, commit))) {
    throw new RevisionNotFoundError(
      context,
      isFullSha(context.revision)
        ? `commit ${commit} cannot be fetched: no branch or tag on the server reaches it (or the server refuses commits it does not advertise)`
        : `the server did not send commit ${commit}`,
    );
  }
  await git.writeRef({
    fs,
    gitdir: cache.gitdir,
    ref: LAST_FETCHED_REF,
    value: commit,
    force: true,
  });
  if (!packfile) return 0;
  return (await fs.promises.stat(join(cache.gitdir, packfile))).size;
}
