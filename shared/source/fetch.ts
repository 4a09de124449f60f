import * as fs from 'node:fs';
import { join } from 'node:path';
import * as git from 'isomorphic-git';
import { hasCommit, LAST_FETCHED_REF, type RepoCache } from './cache.ts';
import { RevisionNotFoundError, type SourceContext } from './errors.ts';
import { remoteError, type Remote } from './remote.ts';
import { isFullSha } from './spec.ts';

/** The object ids a version-2 pack index lists (after its header and 256-entry fan-out table). */
function indexedOids(index: Buffer): string[] {
  const start = 8 + 256 * 4;
  if (index.length < start || index.readUInt32BE(0) !== 0xff744f63 || index.readUInt32BE(4) !== 2)
    throw new Error('not a version-2 pack index');
  const count = index.readUInt32BE(8 + 255 * 4);
  if (index.length < start + count * 20) throw new Error('truncated pack index');
  return Array.from({ length: count }, (_, i) =>
    index.subarray(start + i * 20, start + (i + 1) * 20).toString('hex'),
  );
}

/**
 * Whether a freshly fetched pack holds objects that older packs hold too. A
 * server answering a shallow fetch may send an object we already have (say,
 * a file reverted to an older content) as a delta against a newer object
 * whose own delta base is that very object. isomorphic-git finds each object
 * in whichever pack it lists first, so such a pair can send its delta
 * resolution round in a circle forever.
 */
async function packDuplicatesObjects(cache: RepoCache, packfile: string): Promise<boolean> {
  try {
    return await findsDuplicates(cache, packfile);
  } catch {
    // An index we cannot read: a pack that needs no other is the safe choice.
    return true;
  }
}

async function findsDuplicates(cache: RepoCache, packfile: string): Promise<boolean> {
  const packDir = join(cache.gitdir, 'objects', 'pack');
  const fresh = `${packfile
    .split('/')
    .pop()!
    .replace(/\.pack$/, '')}.idx`;
  const indexes = (await fs.promises.readdir(packDir)).filter((f) => f.endsWith('.idx'));
  if (!indexes.includes(fresh)) return false;
  const older = new Set<string>();
  for (const name of indexes.filter((f) => f !== fresh)) {
    for (const oid of indexedOids(await fs.promises.readFile(join(packDir, name)))) older.add(oid);
  }
  return indexedOids(await fs.promises.readFile(join(packDir, fresh))).some((oid) =>
    older.has(oid),
  );
}

async function removePack(cache: RepoCache, packfile: string): Promise<void> {
  const base = join(cache.gitdir, packfile).replace(/\.pack$/, '');
  await Promise.all(
    ['.pack', '.idx'].map((ext) => fs.promises.rm(`${base}${ext}`, { force: true })),
  );
}

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
  const fetchPack = async (have: string | undefined): Promise<string | undefined> => {
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
      return (result as { packfile?: string }).packfile;
    } catch (error) {
      throw remoteError(error, context, remote);
    }
  };
  const have = await lastFetched(cache);
  let packfile = await fetchPack(have);
  if (have && packfile && (await packDuplicatesObjects(cache, packfile))) {
    // Without a "have" the server sends a pack that needs no other pack.
    await removePack(cache, packfile);
    packfile = await fetchPack(undefined);
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
