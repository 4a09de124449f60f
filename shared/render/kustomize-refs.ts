import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { KUSTOMIZATION_FILES } from './detect.ts';

export type Kustomization = Record<string, unknown>;

export type ReadKustomization =
  { file: string; value: Kustomization } | { file: string; error: string } | undefined;

/**
 * The kustomization of a folder, parsed as kustomize's Go YAML reads it
 * (merge keys applied, duplicate keys refused), so the references we check
 * are the ones kustomize will follow.
 */
export function readKustomization(dir: string): ReadKustomization {
  for (const name of KUSTOMIZATION_FILES) {
    const file = join(dir, name);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    try {
      const parsed: unknown = parse(text, { merge: true, uniqueKeys: true });
      return {
        file,
        value: parsed && typeof parsed === 'object' ? (parsed as Kustomization) : {},
      };
    } catch (error) {
      return { file, error: (error as Error).message.split('\n')[0]! };
    }
  }
  return undefined;
}

/** Remote bases (`github.com/org/repo//dir?ref=v1`, `https://...`, `file://...`) come from elsewhere. */
export function isRemote(ref: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(ref) || /^git@|^github\.com\/|\?ref=|\.git\/\//.test(ref);
}

const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];

const objects = (value: unknown): Record<string, unknown>[] =>
  Array.isArray(value)
    ? value.filter((v): v is Record<string, unknown> => Boolean(v) && typeof v === 'object')
    : [];

const field = (value: unknown, name: string): string[] => {
  const v = (value as Record<string, unknown> | undefined)?.[name];
  return typeof v === 'string' ? [v] : [];
};

/** Local files and directories one kustomization refers to, as written (relative to its folder). */
export function referencesOf(k: Kustomization): { dirsOrFiles: string[]; files: string[] } {
  const dirsOrFiles = [
    ...strings(k.resources),
    ...strings(k.bases),
    ...strings(k.components),
    // Plugin configurations may be inline YAML rather than file names.
    ...[...strings(k.generators), ...strings(k.transformers), ...strings(k.validators)].filter(
      (p) => !p.includes('\n'),
    ),
    ...field(k.helmGlobals, 'chartHome'),
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
    ...objects(k.helmCharts).flatMap((c) => [
      ...field(c, 'valuesFile'),
      ...strings(c.additionalValuesFiles),
    ]),
    ...field(k.openapi, 'path'),
  ];
  return { dirsOrFiles, files };
}
