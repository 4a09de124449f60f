import { parseDocuments, type Parsed } from './documents.ts';
import { resolveBinary, runTool, type ToolLimits } from './run-tool.ts';
import { withScratchHome } from './tool-env.ts';

export const KUSTOMIZE_OUTPUT = 'kustomize build';

export async function renderKustomize(
  appDir: string,
  binary: string | undefined,
  limits: ToolLimits,
): Promise<Parsed> {
  const output = await withScratchHome((_home, env) =>
    runTool({
      ...limits,
      tool: 'kustomize',
      binary: resolveBinary('kustomize', binary),
      args: ['build', appDir],
      cwd: appDir,
      env,
    }),
  );
  return parseDocuments(output, KUSTOMIZE_OUTPUT);
}
