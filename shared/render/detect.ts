import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { RenderSpec } from './spec.ts';

export type Renderer = 'directory' | 'kustomize' | 'helm';

export const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

/** The spec's choice when it names one; otherwise guessed from the files, like Argo CD. */
export function detectRenderer(appDir: string, spec: RenderSpec | undefined): Renderer {
  if (spec?.helm) return 'helm';
  if (spec?.kustomize) return 'kustomize';
  if (spec?.directory) return 'directory';
  if (existsSync(join(appDir, 'Chart.yaml'))) return 'helm';
  if (KUSTOMIZATION_FILES.some((file) => existsSync(join(appDir, file)))) return 'kustomize';
  return 'directory';
}
