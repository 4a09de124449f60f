import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import semver from 'semver';
import { parse } from 'yaml';
import { mapLimit } from '../util/map-limit.ts';
import {
  CHART_NAME,
  chartRepository,
  ChartDependencyError,
  fetchProblem,
  isFolder,
  MAX_FETCHED_CHARTS,
  shownRepository,
  type ChartFetcher,
  type FetchedChart,
} from './charts.ts';
import { type Containment, folderRefusals, OutsideCheckoutError } from './containment.ts';
import { copyContained, type ScratchBudget } from './scratch-copy.ts';

/** One entry of Chart.yaml's `dependencies`, as errors name it. */
interface Dependency {
  name: string;
  /** A semver range in npm's syntax ('*' when Chart.yaml gives none). */
  range: string;
  repository: unknown;
  at: string;
}

/** What a render must add to the chart's `charts/` before `helm template`. */
export interface DependencyPlan {
  archives: (Dependency & { repoURL: string })[];
  /** `file://` dependencies: folders of the checkout. */
  folders: (Dependency & { from: string })[];
}

const FETCHES_AT_ONCE = 4;

function readYaml(file: string): unknown {
  try {
    return parse(readFileSync(file, 'utf8'), { maxAliasCount: 100 });
  } catch {
    // Helm reports a broken Chart.yaml (or ignores a broken lock) better than we could.
    return undefined;
  }
}

const mapping = (value: unknown): Record<string, unknown> | undefined =>
  value && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;

/** Helm's (Masterminds) ranges join with `,` what npm's join with a space. */
const npmRange = (version: unknown): string =>
  typeof version === 'string' && version.trim() !== '' ? version.replaceAll(',', ' ').trim() : '*';

function declared(chartDir: string): { deps: Dependency[]; problems: string[] } {
  const list = mapping(readYaml(join(chartDir, 'Chart.yaml')))?.dependencies;
  const deps: Dependency[] = [];
  const problems: string[] = [];
  if (!Array.isArray(list)) return { deps, problems };
  for (const [i, raw] of list.entries()) {
    const dep = mapping(raw);
    const name = dep?.name;
    if (typeof name !== 'string' || !CHART_NAME.test(name)) {
      problems.push(`Chart.yaml: dependencies[${i}]: name must be a chart name such as redis`);
      continue;
    }
    const range = npmRange(dep!.version);
    const from =
      typeof dep!.repository === 'string' ? ` from ${shownRepository(dep!.repository)}` : '';
    deps.push({
      name,
      range,
      repository: dep!.repository,
      at: `Chart.yaml: dependency ${name} ${range}${from}`,
    });
  }
  return { deps, problems };
}

const fits = (version: string, range: string): boolean =>
  version === range ||
  (semver.valid(version) !== null && semver.satisfies(version, range, { includePrerelease: true }));

/** Already in `charts/`: a `<name>/` folder, or a `<name>-<version>.tgz` whose version the range allows. */
function vendored(chartDir: string, dep: Dependency): boolean {
  let names: string[];
  try {
    names = readdirSync(join(chartDir, 'charts'));
  } catch {
    return false;
  }
  if (names.includes(dep.name) && isFolder(join(chartDir, 'charts', dep.name))) return true;
  const prefix = `${dep.name}-`;
  return names.some(
    (n) =>
      n.startsWith(prefix) && n.endsWith('.tgz') && fits(n.slice(prefix.length, -4), dep.range),
  );
}

/** Chart.lock's versions, by name and repository, as `helm dependency build` pins them. */
function locked(chartDir: string): Map<string, string> {
  const list = mapping(readYaml(join(chartDir, 'Chart.lock')))?.dependencies;
  const pins = new Map<string, string>();
  for (const entry of Array.isArray(list) ? list.map(mapping) : []) {
    if (typeof entry?.name === 'string' && typeof entry.version === 'string')
      pins.set(JSON.stringify([entry.name, entry.repository]), entry.version);
  }
  return pins;
}

/** Why a `file://` dependency's folder cannot be used, or undefined. */
function folderProblem(dep: Dependency, from: string): string | undefined {
  if (!isFolder(from) || !existsSync(join(from, 'Chart.yaml')))
    return `${dep.at}: there is no chart folder there`;
  const version = mapping(readYaml(join(from, 'Chart.yaml')))?.version;
  if (typeof version !== 'string' || !fits(version, dep.range))
    return `${dep.at}: the chart there has version ${String(version)}, which ${dep.range} does not allow`;
  return undefined;
}

/**
 * What Chart.yaml's dependencies need that `charts/` does not hold, as
 * `helm dependency build` would fetch it: from an http(s) Helm repository
 * or an oci:// registry (the version Chart.lock pins, else the range), or a
 * `file://` folder, which must resolve inside the checkout. Anything else is refused, each problem
 * naming Chart.yaml and the dependency. Nothing is fetched yet.
 */
export function planDependencies(chartDir: string, containment: Containment): DependencyPlan {
  const { deps, problems } = declared(chartDir);
  const plan: DependencyPlan = { archives: [], folders: [] };
  const outside: string[] = [];
  const pins = locked(chartDir);
  for (const dep of deps) {
    if (vendored(chartDir, dep)) continue;
    const repo = chartRepository(dep.repository);
    if (repo.kind === 'none')
      problems.push(`${dep.at}: it names no repository and is not in charts/`);
    else if (repo.kind === 'refused') problems.push(`${dep.at}: ${repo.why}`);
    else if (repo.kind === 'remote') {
      const pin = pins.get(JSON.stringify([dep.name, dep.repository]));
      plan.archives.push({
        ...dep,
        range: pin && fits(pin, dep.range) ? pin : dep.range,
        repoURL: repo.url,
      });
    } else {
      const from = resolve(chartDir, repo.path);
      const refusals = folderRefusals(containment, from, dep.at);
      if (refusals.length) outside.push(...refusals);
      else {
        const problem = folderProblem(dep, from);
        if (problem) problems.push(problem);
        else plan.folders.push({ ...dep, from });
      }
    }
  }
  if (plan.archives.length > MAX_FETCHED_CHARTS)
    problems.push(`Chart.yaml: more than ${MAX_FETCHED_CHARTS} dependencies to fetch`);
  if (outside.length) throw new OutsideCheckoutError(outside);
  if (problems.length)
    throw new ChartDependencyError("the chart's dependencies cannot be resolved", problems);
  return plan;
}

/** A version from an index becomes a file name: nothing but what versions are made of. */
const SAFE_VERSION = /^[0-9A-Za-z][0-9A-Za-z.+_-]*$/;

/** Each archive the plan needs, resolved and verified by the engine's fetcher; every failure reported together. */
export async function fetchDependencies(
  plan: DependencyPlan,
  fetcher: ChartFetcher | undefined,
): Promise<(DependencyPlan['archives'][number] & { chart: FetchedChart })[]> {
  if (plan.archives.length === 0) return [];
  const problems: string[] = [];
  const fetched = await mapLimit(plan.archives, FETCHES_AT_ONCE, async (dep) => {
    try {
      if (!fetcher) throw new Error('this render cannot fetch charts (no chart fetcher was given)');
      const chart = await fetcher.fetch(dep.repoURL, dep.name, dep.range);
      if (!SAFE_VERSION.test(chart.version))
        throw new Error(
          `the index names version ${JSON.stringify(chart.version)}, not a version; refused`,
        );
      return { ...dep, chart };
    } catch (err) {
      problems.push(`${dep.at}: ${fetchProblem(err, dep.repoURL, dep.name, dep.range)}`);
      return undefined;
    }
  });
  if (problems.length)
    throw new ChartDependencyError("the chart's dependencies cannot be fetched", problems);
  return fetched.filter((f) => f !== undefined);
}

/**
 * Fills the scratch chart's `charts/` as `helm dependency build` would: the
 * verified archives as `<name>-<version>.tgz` (Helm's archive loader bounds
 * and contains them when it renders), `file://` folders copied in.
 */
export async function vendorDependencies(
  chartDir: string,
  plan: DependencyPlan,
  fetched: Awaited<ReturnType<typeof fetchDependencies>>,
  containment: Containment,
  budget: ScratchBudget,
): Promise<void> {
  const charts = join(chartDir, 'charts');
  await mkdir(charts, { recursive: true, mode: 0o700 });
  for (const { name, chart, at } of fetched) {
    const file = join(charts, `${name}-${chart.version}.tgz`);
    // The same chart and version twice (aliases) is one archive.
    if (existsSync(file)) continue;
    budget.entry(at);
    budget.file(at, (await stat(chart.archive)).size);
    await copyFile(chart.archive, file);
  }
  for (const { name, from } of plan.folders) {
    const into = join(charts, name);
    if (!existsSync(into)) await copyContained(from, into, containment, budget);
  }
}
