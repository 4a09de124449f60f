import { lstatSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';
import { KUSTOMIZATION_FILES } from './detect.ts';
import type { Kustomization, ReadKustomization } from './kustomize-refs.ts';

/**
 * The fields whose values name files or folders (see referencesOf), the keys
 * inside them, and the helmCharts fields that decide what is fetched and where.
 */
const PATH_FIELDS = [
  'resources',
  'bases',
  'components',
  'generators',
  'transformers',
  'validators',
  'helmGlobals',
  'chartHome',
  'crds',
  'configurations',
  'patchesStrategicMerge',
  'patches',
  'patchesJson6902',
  'replacements',
  'path',
  'configMapGenerator',
  'secretGenerator',
  'files',
  'envs',
  'env',
  'helmCharts',
  'valuesFile',
  'additionalValuesFiles',
  // What places a chart (its folder, what is fetched) and Helm's own homes.
  'name',
  'version',
  'repo',
  'configHome',
  'helmChartInflationGenerator',
  'openapi',
];
// Go's JSON decoder, which kustomize uses, matches field names ignoring case
// (and folds ſ to s, K to k): `Resources:` is `resources:` to kustomize.
const fold = (key: string): string => key.normalize('NFKC').toLowerCase();
const FOLDED = new Map(PATH_FIELDS.map((f) => [fold(f), f]));

/** Why the parsed value could mean something else to kustomize, or undefined. */
function ambiguity(value: unknown, at: string): string | undefined {
  if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) return undefined;
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const problem = ambiguity(item, `${at}[${i}]`);
      if (problem) return problem;
    }
    return undefined;
  }
  if (Object.getPrototypeOf(value) !== Object.prototype)
    return `${at || 'the file'} holds a tagged value (${Object.prototype.toString.call(value)}); kustomize's YAML reads tags otherwise`;
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    const field = FOLDED.get(fold(key));
    if (field && field !== key)
      return `${at ? `${at}.` : ''}${key} is ${field} to kustomize, which ignores case in field names`;
    const problem = ambiguity(item, at ? `${at}.${key}` : key);
    if (problem) return problem;
  }
  return undefined;
}

/** Bytes kustomize would decode differently from us: UTF-16/32, NUL, invalid UTF-8. */
function encodingProblem(bytes: Buffer): string | undefined {
  const bom = [
    Buffer.from([0xfe, 0xff]),
    Buffer.from([0xff, 0xfe]),
    Buffer.from([0, 0, 0xfe, 0xff]),
  ];
  if (bom.some((b) => bytes.subarray(0, b.length).equals(b)))
    return 'it is not UTF-8 (a UTF-16/32 mark)';
  if (bytes.includes(0)) return 'it holds a NUL byte';
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return 'it is not valid UTF-8';
  }
  return undefined;
}

/**
 * The kustomization kustomize itself will load from `dir`, read so that any
 * way it could differ from what kustomize sees is refused rather than
 * guessed: exactly one of the file names, the file itself in `dir` once
 * links are resolved (kustomize's load restrictor would skip a linked one
 * and pick another), UTF-8 only, a mapping, no tags, no field name that
 * kustomize would read in another case.
 */
export function readKustomizationStrictly(dir: string): ReadKustomization {
  const present = KUSTOMIZATION_FILES.filter((name) =>
    lstatSync(join(dir, name), { throwIfNoEntry: false }),
  );
  if (present.length === 0) return undefined;
  const file = join(dir, present[0]!);
  if (present.length > 1)
    return { file, error: `${present.join(' and ')} both exist; kustomize refuses that too` };
  let real: string;
  try {
    real = realpathSync.native(file);
  } catch {
    return { file, error: 'it is a link to nothing' };
  }
  if (dirname(real) !== realpathSync.native(dir))
    return {
      file,
      error: `it is a link to ${real}, outside its folder; kustomize would not load it`,
    };
  const bytes = readFileSync(real);
  const encoding = encodingProblem(bytes);
  if (encoding) return { file, error: encoding };
  let parsed: unknown;
  try {
    parsed = parse(bytes.toString('utf8'), { merge: true, uniqueKeys: true });
  } catch (error) {
    return { file, error: (error as Error).message.split('\n')[0]! };
  }
  if (parsed === null || parsed === undefined) return { file, value: {} };
  if (typeof parsed !== 'object' || Array.isArray(parsed))
    return { file, error: 'it is not a mapping of fields' };
  const problem = ambiguity(parsed, '');
  return problem ? { file, error: problem } : { file, value: parsed as Kustomization };
}
