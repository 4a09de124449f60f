import { readFileSync, statSync } from 'node:fs';
import { join, posix, relative, resolve, sep } from 'node:path';
import { parse } from 'yaml';
import { KUSTOMIZATION_FILES } from './detect.ts';

/** Past this many paths the whole repository is watched: a shorter list would not route faster. */
const MAX_PATHS = 200;

type Kustomization = Record<string, unknown>;

function kustomizationIn(dir: string): Kustomization | undefined {
  for (const name of KUSTOMIZATION_FILES) {
    let text: string;
    try {
      text = readFileSync(join(dir, name), 'utf8');
    } catch {
      continue;
    }
    try {
      const parsed: unknown = parse(text);
      return parsed && typeof parsed === 'object' ? (parsed as Kustomization) : {};
    } catch {
      // Kustomize itself reports a broken file when it renders.
      return {};
    }
  }
  return undefined;
}

/** Remote bases (`github.com/org/repo//dir?ref=v1`, `https://...`) come from elsewhere, not from this push. */
function isRemote(ref: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(ref) || /^git@|^github\.com\/|\?ref=|\.git\/\//.test(ref);
}

const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];

const objects = (value: unknown): Record<string, unknown>[] =>
  Array.isArray(value)
    ? value.filter((v): v is Record<string, unknown> => Boolean(v) && typeof v === 'object')
    : [];

/** Local files and directories one kustomization refers to, as written (relative to its folder). */
function referencesOf(k: Kustomization): { dirsOrFiles: string[]; files: string[] } {
  const dirsOrFiles = [
    ...strings(k.resources),
    ...strings(k.bases),
    ...strings(k.components),
    // Plugin configurations may be inline YAML rather than file names.
    ...[...strings(k.generators), ...strings(k.transformers), ...strings(k.validators)].filter(
      (p) => !p.includes('\n'),
    ),
  ];
  const files = [
    ...strings(k.crds),
    ...strings(k.configurations),
    // An inline patch is YAML text, not a file name.
    ...strings(k.patchesStrategicMerge).filter((p) => !p.includes('\n')),
    ...[...objects(k.patches), ...objects(k.patchesJson6902), ...objects(k.replacements)]
      .map((p) => p.path)
      .filter((p): p is string => typeof p === 'string'),
    ...[...objects(k.configMapGenerator), ...objects(k.secretGenerator)].flatMap((g) => [
      // `key=path` or `path`
      ...strings(g.files).map((f) => f.slice(f.indexOf('=') + 1)),
      ...strings(g.envs),
      ...(typeof g.env === 'string' ? [g.env] : []),
    ]),
  ];
  const openapi = k.openapi as { path?: unknown } | undefined;
  if (typeof openapi?.path === 'string') files.push(openapi.path);
  return { dirsOrFiles, files };
}

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
    const k = kustomizationIn(dir);
    if (!k) return;
    const { dirsOrFiles, files } = referencesOf(k);
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
