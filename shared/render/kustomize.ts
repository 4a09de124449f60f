import { join, relative } from 'node:path';
import type { ChartFetcher } from './charts.ts';
import type { Containment } from './containment.ts';
import { parseDocuments, type Parsed } from './documents.ts';
import { checkKustomizeContainment } from './kustomize-contain.ts';
import { fetchHelmCharts, helmChartUses, needsFetch, placeCharts } from './kustomize-helm.ts';
import { resolveBinary, runTool, type ToolLimits } from './run-tool.ts';
import {
  copyContained,
  DEFAULT_SCRATCH_LIMITS,
  ScratchBudget,
  withScratchDir,
  type ScratchLimits,
} from './scratch-copy.ts';
import type { KustomizeSpec } from './spec.ts';
import { NO_NETWORK_ENV, withScratchHome } from './tool-env.ts';

export const KUSTOMIZE_OUTPUT = 'kustomize build';

/** What kustomize needs besides its own binary. */
export interface KustomizeInputs {
  binary?: string | undefined;
  /** The helm binary kustomize runs for helmCharts (`--helm-command`). */
  helmBinary?: string | undefined;
  /** The cluster's version, for the charts' `.Capabilities.KubeVersion`. */
  kubeVersion: string;
  /** Fetches the helmCharts kustomize would otherwise pull itself. */
  charts?: ChartFetcher | undefined;
  /** Bounds the scratch copy a kustomization with fetched charts is built from. */
  scratch?: ScratchLimits | undefined;
}

/**
 * `kustomize build` with its default load restrictor (files stay under each
 * kustomization's root) after our own walk has checked the folders it will
 * load. Without the application's opt-in, kustomize gets an environment in
 * which Git and HTTP go nowhere, in case a reference slipped past the walk.
 * With `enableHelm`, the charts of helmCharts are fetched and verified by
 * our code and unpacked into a bounded copy of the checkout where kustomize
 * looks for them, so it never pulls one.
 */
export async function renderKustomize(
  appDir: string,
  spec: KustomizeSpec,
  inputs: KustomizeInputs,
  limits: ToolLimits,
  containment: Containment,
): Promise<Parsed> {
  const allowRemote = spec.allowRemoteResources === true;
  const enableHelm = spec.enableHelm === true;
  const visited = checkKustomizeContainment(appDir, containment, allowRemote, enableHelm);
  const uses = helmChartUses(visited, containment, enableHelm);
  if (!uses.some(needsFetch)) return build(appDir, spec, inputs, limits);
  await fetchHelmCharts(uses, inputs.charts);
  return withScratchDir(async (scratch) => {
    const budget = new ScratchBudget(inputs.scratch ?? DEFAULT_SCRATCH_LIMITS);
    const root = join(scratch, 'checkout');
    await copyContained(containment.root, root, containment, budget);
    const copy = { root, refusedLinks: [] };
    const copiedApp = join(root, relative(containment.root, appDir));
    // The copy holds no links, so kustomize may root a folder elsewhere than
    // in the checkout: walk the copy again, to check what kustomize will
    // read there and to put each chart where it will look.
    const again = helmChartUses(
      checkKustomizeContainment(copiedApp, copy, allowRemote, true),
      copy,
      true,
    );
    await placeCharts(again, inputs.charts!, root, budget);
    return build(copiedApp, spec, inputs, limits);
  });
}

/**
 * The charts a build of this kustomization fetches, as `repository name
 * version sha256`: the render cache key needs them, as a range may pick a
 * newer version at the same commit.
 */
export async function kustomizeFetchedCharts(
  appDir: string,
  spec: KustomizeSpec,
  containment: Containment,
  charts: ChartFetcher | undefined,
): Promise<string[]> {
  if (spec.enableHelm !== true) return [];
  const allowRemote = spec.allowRemoteResources === true;
  const visited = checkKustomizeContainment(appDir, containment, allowRemote, true);
  return fetchHelmCharts(helmChartUses(visited, containment, true), charts);
}

async function build(
  dir: string,
  spec: KustomizeSpec,
  inputs: KustomizeInputs,
  limits: ToolLimits,
): Promise<Parsed> {
  const enableHelm = spec.enableHelm === true;
  // With Helm on, every remote was refused by the walk: nothing needs the network.
  const network = spec.allowRemoteResources === true && !enableHelm;
  const helm = enableHelm
    ? [
        '--enable-helm',
        '--helm-command',
        resolveBinary('helm', inputs.helmBinary),
        '--helm-kube-version',
        inputs.kubeVersion,
      ]
    : [];
  const output = await withScratchHome((home, env) =>
    runTool({
      ...limits,
      tool: 'kustomize',
      binary: resolveBinary('kustomize', inputs.binary),
      args: ['build', dir, ...helm],
      cwd: dir,
      env: {
        ...env,
        // kustomize gives Helm a home under TMPDIR: it then goes with ours.
        ...(enableHelm ? { TMPDIR: home } : {}),
        ...(network ? { GIT_ALLOW_PROTOCOL: 'https:http' } : NO_NETWORK_ENV),
      },
    }),
  );
  return parseDocuments(output, KUSTOMIZE_OUTPUT);
}
