import { statSync } from 'node:fs';
import { posix, relative, resolve, sep } from 'node:path';
import { isRemote, readKustomization, referencesOf } from './kustomize-refs.ts';

/** Past this many paths the whole repository is watched: a shorter list would not route faster. */
const MAX_PATHS = 200;

/**
 * The repository paths, outside the application's own path, that
 * `kustomize build` of that path reads: bases and components it reaches
 * through `../`, and the patch, generator and configuration files they name
 * (also when they do not exist yet).
 * Webhook routing watches them, so a push that changes only a shared base
 * still reaches every overlay built on it. Paths are relative to the
 * repository root, in posix form; a directory stands for everything under it.
 */
export function kustomizeInputs(repoDir: string, appPath: string): string[] {
  const root = resolve(repoDir);
  const inRepo = (absolute: string): string | undefined => {
    const rel = relative(root, absolute);
    if (rel.startsWith('..') || rel.split(sep)[0] === '.git') return undefined;
    return rel === '' ? '.' : rel.split(sep).join('/');
  };
  const found = new Set<string>();
  const visited = new Set<string>();
  const visit = (dir: string): void => {
    if (visited.has(dir)) return;
    visited.add(dir);
    const read = readKustomization(dir);
    // A broken file is kustomize's to report when it renders.
    if (!read || 'error' in read) return;
    const { dirsOrFiles, files } = referencesOf(read.value);
    for (const ref of [...dirsOrFiles, ...files]) {
      if (isRemote(ref)) continue;
      const target = resolve(dir, ref);
      const path = inRepo(target);
      if (!path) continue;
      // A path that does not exist yet (a base still to be pushed) is
      // watched too: the push that adds it must reach this application.
      found.add(path);
      let directory = false;
      try {
        directory = statSync(target, { throwIfNoEntry: false })?.isDirectory() ?? false;
      } catch {
        // A name too long or through a file: kustomize reports it when it renders.
      }
      if (directory) visit(target);
    }
  };
  const appDir = resolve(root, appPath);
  visit(appDir);
  const own = inRepo(appDir) ?? '.';
  const within = (path: string, dir: string): boolean =>
    dir === '.' || path === dir || path.startsWith(`${dir}/`);
  const outside = [...found].filter((p) => !within(p, own));
  const kept = outside
    .filter((p) => !outside.some((other) => other !== p && within(p, other)))
    .sort();
  if (kept.length > MAX_PATHS) return ['.'];
  return kept.map((p) => posix.normalize(p));
}
