import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import semver from 'semver';
import { parseAllDocuments } from 'yaml';
import { mapLimit } from '../util/map-limit.ts';
import { extractChart } from './chart-extract.ts';
import {
  CHART_NAME,
  chartRepository,
  ChartDependencyError,
  fetchProblem,
  isFolder,
  MAX_FETCHED_CHARTS,
  shownRepository,
  type ChartFetcher,
} from './charts.ts';
import {
  type Containment,
  folderRefusals,
  insideRoot,
  OutsideCheckoutError,
} from './containment.ts';
import { RenderFailure } from './errors.ts';
import type { VisitedKustomization } from './kustomize-contain.ts';
import { isRemote } from './kustomize-refs.ts';
import type { ScratchBudget } from './scratch-copy.ts';

/** One `helmCharts` entry of a kustomization the build loads. */
export interface HelmChartUse {
  /** `overlays/prod/kustomization.yaml helmCharts[0] podinfo 6.0.0 from https://…`, as errors name it. */
  at: string;
  name: string;
  /** As written, a version or a range (kustomize hands it to `helm pull --version`); `*` when absent. */
  range: string;
  /** The Helm repository or registry; undefined for a chart that lives in the checkout. */
  repoURL: string | undefined;
  /**
   * Where kustomize looks for the chart's folder:
   * `<chartHome>/<name>-<version>/<name>` with repo and version, else
   * `<chartHome>/<name>` (HelmChartInflationGenerator's absChartHome). It
   * runs `helm pull` only when that folder is missing.
   */
  chartDir: string;
}

/** A kustomization declares Helm charts and the application did not turn them on. */
export class HelmChartsDisabledError extends RenderFailure {
  constructor(files: string[]) {
    super(
      'HELM_CHARTS_DISABLED',
      `${files.join(', ')} ${files.length === 1 ? 'declares' : 'declare'} helmCharts; kustomize renders Helm charts only when the application sets render.kustomize.enableHelm: true (Driftless then downloads and verifies each chart itself, and kustomize runs offline)`,
    );
  }
}

const mapping = (value: unknown): Record<string, unknown> | undefined =>
  value && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;

interface Found {
  uses: HelmChartUse[];
  problems: string[];
  outside: string[];
}

/** `version` becomes part of a folder name: a version or range, never a path. */
const versionProblem = (version: unknown): string | undefined =>
  version === undefined ||
  (typeof version === 'string' &&
    !/[/\\\0]/.test(version) &&
    (semver.valid(version) !== null || semver.validRange(version) !== null))
    ? undefined
    : 'version must be a chart version or a semver range';

function chartsOf(k: VisitedKustomization, containment: Containment, found: Found): void {
  const globals = mapping(k.value.helmGlobals) ?? {};
  const chartHome = globals.chartHome ?? 'charts';
  if (typeof chartHome !== 'string') {
    found.problems.push(`${k.file}: helmGlobals.chartHome must be a path`);
    return;
  }
  const list: unknown[] = Array.isArray(k.value.helmCharts) ? k.value.helmCharts : [];
  for (const [i, raw] of list.entries()) {
    const chart = mapping(raw) ?? {};
    const { name, version } = chart;
    const entry = `${k.file} helmCharts[${i}]`;
    if (typeof name !== 'string' || !CHART_NAME.test(name)) {
      found.problems.push(`${entry}: name must be a chart name such as podinfo`);
      continue;
    }
    const repo = chartRepository(chart.repo);
    const at = `${entry} ${name}${typeof version === 'string' ? ` ${version}` : ''}${typeof chart.repo === 'string' ? ` from ${shownRepository(chart.repo)}` : ''}`;
    const problem =
      versionProblem(version) ??
      (repo.kind === 'refused' ? repo.why : undefined) ??
      (repo.kind === 'file'
        ? 'repo must be an https:// Helm repository or an oci:// registry (a chart of the checkout names none)'
        : undefined);
    if (problem) {
      found.problems.push(`${at}: ${problem}`);
      continue;
    }
    const folder = typeof version === 'string' && repo.kind !== 'none' ? `${name}-${version}` : '';
    const chartDir = join(k.dir, chartHome, folder, name);
    found.outside.push(...folderRefusals(containment, chartDir, at));
    found.uses.push({
      at,
      name,
      range: typeof version === 'string' ? version : '*',
      repoURL: repo.kind === 'remote' ? repo.url : undefined,
      chartDir,
    });
  }
}

/** Whether YAML text holds a HelmChartInflationGenerator config; text we cannot read counts as one. */
function namesHelmGenerator(text: string): boolean {
  try {
    return parseAllDocuments(text).some((doc) => {
      if (doc.errors.length) throw doc.errors[0]!;
      const kind = mapping(doc.toJS({ maxAliasCount: 100 }))?.kind;
      return typeof kind === 'string' && kind.toLowerCase() === 'helmchartinflationgenerator';
    });
  } catch {
    return true;
  }
}

/**
 * Generators that would run Helm where we cannot check it: a
 * HelmChartInflationGenerator config (inline or a file) takes any chart
 * folder, absolute paths included, and a generator folder's output could be
 * one. helmCharts is the form Driftless checks.
 */
function generatorProblems(k: VisitedKustomization): string[] {
  const problems: string[] = [];
  const entries = Array.isArray(k.value.generators) ? k.value.generators : [];
  for (const entry of entries.filter((e): e is string => typeof e === 'string')) {
    const shown = entry.includes('\n') ? 'an inline generator' : `generator ${entry}`;
    const path = entry.includes('\n') || isRemote(entry) ? undefined : resolve(k.dir, entry);
    if (path && isFolder(path)) {
      problems.push(
        `${k.file}: ${shown} is a folder; with render.kustomize.enableHelm generators must be files or inline, so that every Helm chart kustomize renders is one Driftless checked`,
      );
      continue;
    }
    const texts = [entry, ...(path && existsSync(path) ? [readFileSync(path, 'utf8')] : [])];
    if (texts.some(namesHelmGenerator))
      problems.push(
        `${k.file}: ${shown} is (or cannot be read as anything but) a HelmChartInflationGenerator; declare the chart in helmCharts, where Driftless fetches and checks it`,
      );
  }
  return problems;
}

/**
 * The helmCharts of every kustomization the build loads, checked: refused
 * unless the application turned Helm on, each name a chart name and each
 * version a version or range (both become folder names), repositories
 * https:// or oci://, local charts inside the checkout, no
 * `helmGlobals.configHome` (a Helm home anywhere) and no Helm generators
 * outside helmCharts.
 */
export function helmChartUses(
  visited: VisitedKustomization[],
  containment: Containment,
  enableHelm: boolean,
): HelmChartUse[] {
  const declaring = visited.filter(
    (k) => k.value.helmCharts !== undefined || k.value.helmChartInflationGenerator !== undefined,
  );
  if (!enableHelm) {
    if (declaring.length) throw new HelmChartsDisabledError(declaring.map((k) => k.file));
    return [];
  }
  const found: Found = { uses: [], problems: [], outside: [] };
  for (const k of visited) {
    if (k.value.helmChartInflationGenerator !== undefined)
      found.problems.push(
        `${k.file}: helmChartInflationGenerator (kustomize's older form) is not supported; declare the charts in helmCharts`,
      );
    if (mapping(k.value.helmGlobals)?.configHome !== undefined)
      found.problems.push(
        `${k.file}: helmGlobals.configHome is refused: it would point Helm at a folder of the reconciler's`,
      );
    chartsOf(k, containment, found);
    found.problems.push(...generatorProblems(k));
  }
  if (found.outside.length) throw new OutsideCheckoutError([...new Set(found.outside)]);
  if (found.problems.length)
    throw new ChartDependencyError(
      "the kustomization's Helm charts cannot be used",
      found.problems,
    );
  return found.uses;
}

/** A chart kustomize would pull: from a repository, and not already in the checkout where it looks. */
export const needsFetch = (use: HelmChartUse): boolean =>
  use.repoURL !== undefined && !isFolder(use.chartDir);

/** Each chart the uses need, resolved and verified by the engine's fetcher; every failure reported together. */
export async function fetchHelmCharts(
  uses: HelmChartUse[],
  fetcher: ChartFetcher | undefined,
): Promise<string[]> {
  const missing = uses.filter(needsFetch);
  if (missing.length > MAX_FETCHED_CHARTS)
    throw new ChartDependencyError("the kustomization's Helm charts cannot be fetched", [
      `more than ${MAX_FETCHED_CHARTS} charts to fetch`,
    ]);
  const problems: string[] = [];
  const fetched = await mapLimit(missing, 4, async (use) => {
    try {
      if (!fetcher) throw new Error('this render cannot fetch charts (no chart fetcher was given)');
      const chart = await fetcher.fetch(use.repoURL!, use.name, use.range);
      return `${use.repoURL} ${use.name} ${chart.version} ${chart.digest}`;
    } catch (err) {
      problems.push(`${use.at}: ${fetchProblem(err, use.repoURL!, use.name, use.range)}`);
      return '';
    }
  });
  if (problems.length)
    throw new ChartDependencyError("the kustomization's Helm charts cannot be fetched", problems);
  return [...new Set(fetched)];
}

/**
 * Unpacks each chart kustomize would pull where it looks for it, inside the
 * scratch copy (whose root is `root`), so kustomize never runs `helm pull`.
 * The same chart used twice is unpacked once.
 */
export async function placeCharts(
  uses: HelmChartUse[],
  fetcher: ChartFetcher,
  root: string,
  budget: ScratchBudget,
): Promise<void> {
  for (const use of uses) {
    if (!needsFetch(use)) continue;
    if (insideRoot({ root, refusedLinks: [] }, use.chartDir) === undefined)
      throw new OutsideCheckoutError([`${use.at}: its folder ${use.chartDir} is outside the copy`]);
    const chart = await fetcher.fetch(use.repoURL!, use.name, use.range);
    await extractChart(
      chart.archive,
      use.chartDir,
      `${use.at}: chart ${use.name} ${chart.version}`,
      budget,
    );
  }
}
