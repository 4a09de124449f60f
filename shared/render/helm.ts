import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';
import {
  describeLink,
  insideRoot,
  OutsideCheckoutError,
  refusedUnder,
  type Containment,
} from './containment.ts';
import { parseDocuments, type Parsed } from './documents.ts';
import type { ChartFetcher } from './charts.ts';
import { fetchDependencies, planDependencies, vendorDependencies } from './helm-dependencies.ts';
import {
  copyContained,
  DEFAULT_SCRATCH_LIMITS,
  ScratchBudget,
  withScratchDir,
  type ScratchLimits,
} from './scratch-copy.ts';
import { resolveBinary, runTool, type ToolLimits } from './run-tool.ts';
import type { HelmSpec } from './spec.ts';
import { NO_NETWORK_ENV, withScratchHome } from './tool-env.ts';
import { resolveValueFiles } from './value-files.ts';

export const HELM_OUTPUT = 'helm template';

/** Helm's own name when `helm template` is given none. */
const DEFAULT_RELEASE_NAME = 'release-name';

export interface HelmInputs {
  namespace: string;
  kubeVersion: string;
  /** The destination's group versions and kinds (`--api-versions`); `lookup` stays disabled offline. */
  apiVersions?: string[] | undefined;
  /** Used when the spec names no release; the reconciler passes the application name. */
  releaseName?: string;
  binary?: string;
  /** The checkouts of the application's `ref` sources, for `$ref/…` value files. */
  valueSources?: ReadonlyMap<string, Containment> | undefined;
  /** Fetches the dependencies Chart.yaml names and `charts/` lacks. */
  charts?: ChartFetcher | undefined;
  /** Bounds the scratch copy a chart with fetched dependencies is rendered from. */
  scratch?: ScratchLimits | undefined;
}

/**
 * Helm loads every file of the chart folder (templates read them through
 * `.Files`), so any refused link in it is refused here; value files must
 * resolve inside the checkout too.
 */
function containmentProblems(appDir: string, spec: HelmSpec, containment: Containment): string[] {
  const problems = refusedUnder(containment, insideRoot(containment, appDir) ?? '.').map(
    describeLink,
  );
  return problems;
}

/**
 * `helm template` offline: no `--validate`, so it never contacts a cluster,
 * and a scratch HELM_*_HOME, so it reads no repositories and caches nothing.
 * CRDs from `crds/` are included (a GitOps sync must create them); test hooks
 * are skipped because they exist only for `helm test`. Dependencies that
 * `charts/` lacks are fetched by our code (see helm-dependencies.ts) into a
 * bounded copy of the chart, which Helm then renders as it would the folder.
 */
export async function renderHelm(
  appDir: string,
  spec: HelmSpec,
  inputs: HelmInputs,
  limits: ToolLimits,
  containment: Containment,
): Promise<Parsed> {
  const values = resolveValueFiles(
    spec.valueFiles,
    { dir: appDir, containment },
    inputs.valueSources,
  );
  const problems = [...containmentProblems(appDir, spec, containment), ...values.problems];
  if (problems.length > 0) throw new OutsideCheckoutError(problems);
  const valueFiles = values.paths;
  const plan = planDependencies(appDir, containment);
  if (plan.archives.length === 0 && plan.folders.length === 0)
    return helmTemplate(appDir, appDir, valueFiles, spec, inputs, limits);
  const fetched = await fetchDependencies(plan, inputs.charts);
  // The checkout is shared and read-only: the dependencies join a copy of the chart.
  return withScratchDir(async (scratch) => {
    const chart = join(scratch, 'chart');
    const budget = new ScratchBudget(inputs.scratch ?? DEFAULT_SCRATCH_LIMITS);
    await copyContained(appDir, chart, containment, budget);
    await vendorDependencies(chart, plan, fetched, containment, budget);
    return helmTemplate(chart, chart, valueFiles, spec, inputs, limits);
  });
}

/**
 * The archives a render of this chart folder fetches for its dependencies,
 * as `repository name version sha256`: the render cache key needs them, as
 * a range may pick a newer version at the same commit.
 */
export async function helmFetchedCharts(
  appDir: string,
  containment: Containment,
  charts: ChartFetcher | undefined,
): Promise<string[]> {
  const fetched = await fetchDependencies(planDependencies(appDir, containment), charts);
  return fetched.map((f) => `${f.repoURL} ${f.name} ${f.chart.version} ${f.chart.digest}`);
}

/**
 * A chart from a repository, rendered straight from its verified archive:
 * Helm's archive loader keeps every entry inside the chart (no absolute or
 * `..` paths, links not followed) and bounds its size (100 MiB, 5 MiB a
 * file). Value files come from the application's Git sources (`$ref/…`).
 */
export async function renderHelmArchive(
  archive: string,
  spec: HelmSpec,
  inputs: HelmInputs,
  limits: ToolLimits,
): Promise<Parsed> {
  const values = resolveValueFiles(spec.valueFiles, undefined, inputs.valueSources);
  if (values.problems.length > 0) throw new OutsideCheckoutError(values.problems);
  return helmTemplate(archive, dirname(archive), values.paths, spec, inputs, limits);
}

async function helmTemplate(
  chart: string,
  cwd: string,
  valueFiles: string[],
  spec: HelmSpec,
  inputs: HelmInputs,
  limits: ToolLimits,
): Promise<Parsed> {
  const output = await withScratchHome(async (home, env) => {
    const args = [
      'template',
      spec.releaseName ?? inputs.releaseName ?? DEFAULT_RELEASE_NAME,
      chart,
      '--namespace',
      inputs.namespace,
      '--kube-version',
      spec.kubeVersion ?? inputs.kubeVersion,
      '--include-crds',
      '--skip-tests',
    ];
    if (inputs.apiVersions?.length) args.push('--api-versions', inputs.apiVersions.join(','));
    for (const file of valueFiles) args.push('--values', file);
    if (spec.values !== undefined) {
      const inline = join(home, 'inline-values.yaml');
      await writeFile(
        inline,
        typeof spec.values === 'string' ? spec.values : stringify(spec.values),
      );
      args.push('--values', inline);
    }
    return runTool({
      ...limits,
      tool: 'helm',
      binary: resolveBinary('helm', inputs.binary),
      args,
      cwd,
      env: {
        ...env,
        ...NO_NETWORK_ENV,
        HELM_CACHE_HOME: join(home, 'helm-cache'),
        HELM_CONFIG_HOME: join(home, 'helm-config'),
        HELM_DATA_HOME: join(home, 'helm-data'),
      },
    });
  });
  return parseDocuments(output, HELM_OUTPUT);
}
