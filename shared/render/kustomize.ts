import type { Containment } from './containment.ts';
import { parseDocuments, type Parsed } from './documents.ts';
import { checkKustomizeContainment } from './kustomize-contain.ts';
import { resolveBinary, runTool, type ToolLimits } from './run-tool.ts';
import type { KustomizeSpec } from './spec.ts';
import { NO_NETWORK_ENV, withScratchHome } from './tool-env.ts';

export const KUSTOMIZE_OUTPUT = 'kustomize build';

/**
 * `kustomize build` with its default load restrictor (files stay under each
 * kustomization's root) after our own walk has checked the folders it will
 * load. Without the application's opt-in, kustomize gets an environment in
 * which Git and HTTP go nowhere, in case a reference slipped past the walk.
 */
export async function renderKustomize(
  appDir: string,
  spec: KustomizeSpec,
  binary: string | undefined,
  limits: ToolLimits,
  containment: Containment,
): Promise<Parsed> {
  const allowRemote = spec.allowRemoteResources === true;
  checkKustomizeContainment(appDir, containment, allowRemote);
  const output = await withScratchHome((_home, env) =>
    runTool({
      ...limits,
      tool: 'kustomize',
      binary: resolveBinary('kustomize', binary),
      args: ['build', appDir],
      cwd: appDir,
      env: allowRemote
        ? { ...env, GIT_ALLOW_PROTOCOL: 'https:http' }
        : { ...env, ...NO_NETWORK_ENV },
    }),
  );
  return parseDocuments(output, KUSTOMIZE_OUTPUT);
}
