import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { join } from 'node:path';
import * as git from 'isomorphic-git';
import { checkoutDir, type RepoCache } from './cache.ts';
import { verifiedStamp, writeStamp, listingDigest, type CheckoutStamp } from './checkout-stamp.ts';
import { BlobTooLargeError, PathNotFoundError, type SourceContext } from './errors.ts';
import { refusedLinks, type RefusedLink, type TreeNode } from './links.ts';

type TreeEntry = Awaited<ReturnType<typeof git.readTree>>['tree'][number];

interface Job {
  entry: TreeEntry;
  /** Path inside the checkout, `/`-separated. */
  relative: string;
}

export interface CheckoutLimits {
  /** Largest file a checkout may hold. Default 16 MiB. */
  maxFileBytes?: number;
}

export const DEFAULT_MAX_FILE_BYTES = 16 * 1024 * 1024;

export interface Checkout {
  dir: string;
  /** Links not written because they resolve outside the checkout; paths relative to `dir`. */
  refusedLinks: RefusedLink[];
}

const PARALLEL_WRITES = 4;

async function readRootTree(
  cache: RepoCache,
  commit: string,
  context: SourceContext & { path: string },
  objectCache: object,
): Promise<TreeEntry[]> {
  try {
    const { tree } = await git.readTree({
      fs,
      gitdir: cache.gitdir,
      oid: commit,
      ...(context.path === '.' ? {} : { filepath: context.path }),
      cache: objectCache,
    });
    return tree;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'NotFoundError') {
      throw new PathNotFoundError(context, `commit ${commit} has no ${context.path}`);
    }
    if (code === 'ObjectTypeError') {
      throw new PathNotFoundError(
        context,
        `${context.path} is a file in commit ${commit}; the path must be a directory`,
      );
    }
    throw error;
  }
}

/**
 * Writes directories and files, and returns the tree it saw (links included,
 * none written yet): links can be judged only once the whole tree is known.
 */
async function writeTree(
  cache: RepoCache,
  root: TreeEntry[],
  staging: string,
  objectCache: object,
): Promise<{ nodes: Map<string, TreeNode>; largestFile?: CheckoutStamp['largestFile'] }> {
  const nodes = new Map<string, TreeNode>();
  let largestFile: CheckoutStamp['largestFile'];
  const queue: Job[] = root.map((entry) => ({ entry, relative: entry.path }));
  const read = { fs, gitdir: cache.gitdir, cache: objectCache };
  const write = async ({ entry, relative }: Job): Promise<void> => {
    const file = join(staging, relative);
    if (entry.type === 'tree') {
      nodes.set(relative, { type: 'tree' });
      fs.mkdirSync(file, { mode: 0o700 });
      const { tree } = await git.readTree({ ...read, oid: entry.oid });
      for (const child of tree) queue.push({ entry: child, relative: `${relative}/${child.path}` });
      return;
    }
    // Submodules ('commit' entries) are other repositories; they are not fetched.
    if (entry.type !== 'blob') return;
    const { blob } = await git.readBlob({ ...read, oid: entry.oid });
    if (entry.mode === '120000') {
      nodes.set(relative, { type: 'link', target: Buffer.from(blob).toString('utf8') });
      return;
    }
    nodes.set(relative, { type: 'blob' });
    if (!largestFile || blob.length > largestFile.bytes)
      largestFile = { path: relative, bytes: blob.length };
    // Synchronous: small files are written faster without the thread pool's round trips.
    fs.writeFileSync(file, blob, { mode: entry.mode === '100755' ? 0o700 : 0o600 });
  };
  // Directories are queued before their children, so a worker never writes into a missing one.
  const worker = async (): Promise<void> => {
    for (let job = queue.shift(); job; job = queue.shift()) await write(job);
  };
  while (queue.length > 0) {
    await Promise.all(Array.from({ length: Math.min(PARALLEL_WRITES, queue.length) }, worker));
  }
  return { nodes, largestFile };
}

/**
 * Renames the finished tree into place. A folder already there is kept when it
 * verifies (another process finished the same checkout first: same commit,
 * same content) and set aside otherwise, never deleted in place while a
 * render of another process could be reading it.
 */
async function moveIntoPlace(staging: string, target: string, commit: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await fs.promises.rename(staging, target);
      return;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if ((code !== 'ENOTEMPTY' && code !== 'EEXIST') || attempt > 2) throw error;
    }
    if (await verifiedStamp(target, commit)) {
      await fs.promises.rm(staging, { recursive: true, force: true });
      return;
    }
    const aside = `${target}.bad-${randomBytes(4).toString('hex')}`;
    await fs.promises.rename(target, aside);
    await fs.promises.rm(aside, { recursive: true, force: true });
  }
}

async function checkOutAfresh(
  cache: RepoCache,
  commit: string,
  context: SourceContext & { path: string },
  target: string,
): Promise<CheckoutStamp> {
  // isomorphic-git re-reads pack indexes per call unless given a cache object.
  const objectCache = {};
  const root = await readRootTree(cache, commit, context, objectCache);
  const staging = `${target}.tmp-${randomBytes(4).toString('hex')}`;
  await fs.promises.mkdir(staging, { recursive: true, mode: 0o700 });
  try {
    const { nodes, largestFile } = await writeTree(cache, root, staging, objectCache);
    const refused = refusedLinks(nodes);
    for (const link of refused) nodes.delete(link.path);
    for (const [path, node] of nodes) {
      if (node.type === 'link') await fs.promises.symlink(node.target, join(staging, path));
    }
    const stamp: CheckoutStamp = {
      commit,
      listing: listingDigest(nodes),
      refusedLinks: refused,
      largestFile,
    };
    await fs.promises.mkdir(join(target, '..'), { recursive: true, mode: 0o700 });
    await writeStamp(target, stamp);
    await moveIntoPlace(staging, target, commit);
    return stamp;
  } catch (error) {
    await fs.promises.rm(staging, { recursive: true, force: true });
    throw error;
  }
}

/**
 * Writes the application path of one commit into its own directory by reading
 * the tree and blobs straight from the object store: no index, no HEAD, nothing
 * outside the path, and each revision in a separate directory so a render of
 * one commit never sees files of another. A link is written only when,
 * followed through every other link of the tree, it stays inside the
 * checkout; the others are returned so that a render that would read one
 * fails naming it, while renders that do not are unaffected.
 */
export async function checkoutPath(
  cache: RepoCache,
  commit: string,
  context: SourceContext & { path: string },
  limits: CheckoutLimits = {},
): Promise<Checkout> {
  const target = checkoutDir(cache, commit, context.path);
  let stamp = await verifiedStamp(target, commit);
  if (!stamp) {
    try {
      stamp = await checkOutAfresh(cache, commit, context, target);
    } catch (error) {
      // Another process sharing the cache finished the same checkout first.
      stamp = await verifiedStamp(target, commit);
      if (!stamp) throw error;
    }
  }
  const maxFileBytes = limits.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  if (stamp.largestFile && stamp.largestFile.bytes > maxFileBytes)
    throw new BlobTooLargeError(context, stamp.largestFile, maxFileBytes);
  return { dir: target, refusedLinks: stamp.refusedLinks };
}
