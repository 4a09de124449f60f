import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const binDir = join(repoRoot, '.tools', 'bin');

export type Tool =
  | 'etcd'
  | 'kube-apiserver'
  | 'kube-controller-manager'
  | 'kube-scheduler'
  | 'kubectl'
  | 'kwok'
  | 'kustomize'
  | 'helm'
  | 'moto_server'
  | 'toxiproxy-server'
  | 'registry'
  | 'oras'
  | 'gitea';

/** Path of a Go-built tool; says how to build it when it is missing. */
export function toolPath(tool: Tool): string {
  const path = join(binDir, tool);
  if (!existsSync(path)) {
    throw new Error(`${tool} not found at ${path}: run \`npm run setup\` to build the test tools`);
  }
  return path;
}

/** KWOK's simulation stages, rendered by build-tools.sh from the KWOK module source. */
export function kwokStagesPath(): string {
  const path = join(repoRoot, '.tools', 'kwok-stages.yaml');
  if (!existsSync(path)) throw new Error(`KWOK stages not found at ${path}: run \`npm run setup\``);
  return path;
}

/** The project's test-only KWOK stages (a Pod that fails on request), passed after KWOK's own. */
export function kwokTestStagesPath(): string {
  return join(repoRoot, 'test', 'harness', 'kwok-test-stages.yaml');
}
