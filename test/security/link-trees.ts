import { posix } from 'node:path';
import type { FileTree } from '../harness/git-fixtures.ts';

/** Where a generated chain of links finally points. */
export type Exit =
  /** An absolute path to a file outside every checkout. */
  | { kind: 'absolute'; path: string }
  /** The same file reached by climbing out with `..` from the checkout folder. */
  | { kind: 'climb'; fromCacheDir: string }
  /** A file inside the tree: the chain is harmless and must keep working. */
  | { kind: 'inside'; path: string };

export interface LinkChain {
  /** Files and links to add to the application folder (paths relative to it). */
  files: FileTree;
  /** The path a renderer reads (relative to the application folder). */
  entry: string;
  /** A short description of the chain, for test names and failures. */
  shape: string;
}

const pick = <T>(rand: () => number, items: readonly T[]): T =>
  items[Math.floor(rand() * items.length)]!;

const DIRS = ['', 'a', 'a/b', 'c', 'c/d/e'];

/**
 * A chain of 1 to 4 links from `entry` to the exit. Each hop is written in
 * one of several disguises: a plain relative path, a path through a link
 * to a parent folder (`up/up/x`: no `..` in the text), a path with `./`
 * and `x/../` detours, or a hop through a link to a folder.
 *
 * `depth` is how many folders the application folder sits below the
 * checkout's root (0 for a path checkout, the app path's depth for a
 * repository checkout), and `checkoutDepth` how many below the cache folder
 * the checkout root sits, so a climbing exit can count its `..`.
 */
export function linkChain(
  rand: () => number,
  entryName: string,
  exit: Exit,
  { depth, checkoutDepth }: { depth: number; checkoutDepth: number },
): LinkChain {
  const files: FileTree = {};
  const shape: string[] = [];
  const hops = 1 + Math.floor(rand() * 4);
  const places = Array.from({ length: hops }, (_, i) =>
    i === 0 ? entryName : posix.join(pick(rand, DIRS), `hop${i}-${Math.floor(rand() * 1e6)}`),
  );
  // Links to a parent folder, one per folder that holds a hop, for the `up/up` disguise.
  const ups = new Map<string, string>();
  const upLink = (dir: string): string => {
    if (!ups.has(dir)) {
      const name = posix.join(dir, `up-${ups.size}`);
      ups.set(dir, name);
      files[name] = { link: '..' };
    }
    return posix.basename(ups.get(dir)!);
  };
  const finalTarget = (from: string): string => {
    const dir = posix.dirname(from) === '.' ? '' : posix.dirname(from);
    if (exit.kind === 'absolute') return exit.path;
    if (exit.kind === 'inside') return posix.relative(dir || '.', exit.path);
    const levels = (dir ? dir.split('/').length : 0) + depth + checkoutDepth;
    return `${'../'.repeat(levels)}${exit.fromCacheDir}`;
  };
  const disguise = (from: string, target: string): string => {
    if (posix.isAbsolute(target)) {
      shape.push('absolute');
      return target;
    }
    const dir = posix.dirname(from) === '.' ? '' : posix.dirname(from);
    const style = pick(rand, ['plain', 'up', 'detour'] as const);
    const parts = target.split('/');
    const climbs = parts.filter((p) => p === '..').length;
    // `up` links only help while the climb stays inside the folder depth we know.
    if (style === 'up' && dir && climbs > 0) {
      const up = upLink(dir);
      // up -> .. from `dir` climbs one level; repeating the link climbs further
      // only through links placed in each parent, so use it for the first level.
      shape.push('via-up-link');
      return [up, ...parts.slice(1)].join('/');
    }
    if (style === 'detour') {
      // Through a folder that exists, as the kernel needs for `zz/..`.
      const detour = `zz-${Math.floor(rand() * 1e6)}`;
      files[posix.join(dir, detour, 'keep.txt')] = 'keep\n';
      shape.push('detour');
      return ['.', detour, '..', ...parts].join('/');
    }
    shape.push('plain');
    return target;
  };
  for (let i = 0; i < hops; i++) {
    const from = places[i]!;
    const next = places[i + 1];
    const target = next
      ? posix.relative(posix.dirname(from) === '.' ? '.' : posix.dirname(from), next)
      : finalTarget(from);
    files[from] = { link: disguise(from, target) };
  }
  if (exit.kind === 'inside') shape.push('inside');
  return { files, entry: entryName, shape: shape.join('>') };
}
