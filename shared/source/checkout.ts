import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { join, posix } from 'node:path';
import * as git from 'isomorphic-git';
import { checkoutDir, type RepoCache } from './cache.ts';
import { OutOfBoundsSymlinkError, PathNotFoundError, type SourceContext } from './errors.ts';

type TreeEntry = Awaited<ReturnType<typeof git.readTree>>['tree'][number];

interface Job {
  entry: TreeEntry;
  /** Path inside the application path, `/`-separated. */
  relative: string;
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
 * Writes the application path of one commit into its own directory by reading
 * the tree and blobs straight from the object store: no index, no HEAD, nothing
 * outside the path, and each revision in a separate directory so a render of
 * one commit never sees files of another.
 */
export async function checkoutPath(
  cache: RepoCache,
  commit: string,
  context: SourceContext & { path: string },
): Promise<string> {
  const target = checkoutDir(cache, commit, context.path);
  if (fs.existsSync(target)) return target;

  // isomorphic-git re-reads pack indexes per call unless given a cache object.
  const objectCache = {};
  const staging = `${target}.tmp-${randomBytes(4).toString('hex')}`;
  await fs.promises.mkdir(staging, { recursive: true });
  try {
    const queue: Job[] = (await readRootTree(cache, commit, context, objectCache)).map((entry) => ({
      entry,
      relative: entry.path,
    }));
    const write = async ({ entry, relative }: Job): Promise<void> => {
      const file = join(staging, relative);
      if (entry.type === 'tree') {
        await fs.promises.mkdir(file);
        const { tree } = await git.readTree({
          fs,
          gitdir: cache.gitdir,
          oid: entry.oid,
          cache: objectCache,
        });
        for (const child of tree)
          queue.push({ entry: child, relative: `${relative}/${child.path}` });
        return;
      }
      // Submodules ('commit' entries) are other repositories; they are not fetched.
      if (entry.type !== 'blob') return;
      const { blob } = await git.readBlob({
        fs,
        gitdir: cache.gitdir,
        oid: entry.oid,
        cache: objectCache,
      });
      if (entry.mode === '120000') {
        const link = Buffer.from(blob).toString('utf8');
        const resolved = posix.normalize(posix.join(posix.dirname(relative), link));
        if (posix.isAbsolute(link) || resolved === '..' || resolved.startsWith('../')) {
          throw new OutOfBoundsSymlinkError(context, relative, link);
        }
        await fs.promises.symlink(link, file);
        return;
      }
      await fs.promises.writeFile(file, blob, { mode: entry.mode === '100755' ? 0o755 : 0o644 });
    };
    // Directories are queued before their children, so a worker never writes into a missing one.
    const worker = async (): Promise<void> => {
      for (let job = queue.shift(); job; job = queue.shift()) await write(job);
    };
    while (queue.length > 0) {
      await Promise.all(Array.from({ length: Math.min(PARALLEL_WRITES, queue.length) }, worker));
    }
    await fs.promises.mkdir(join(target, '..'), { recursive: true });
    await fs.promises.rename(staging, target);
  } catch (error) {
    await fs.promises.rm(staging, { recursive: true, force: true });
    // Another process sharing the cache finished the same checkout first.
    if (fs.existsSync(target)) return target;
    throw error;
  }
  return target;
}
