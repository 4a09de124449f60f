import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cluster } from '../harness/context.ts';
import { commitTree } from '../harness/git-fixtures.ts';
import type { GitServer } from '../harness/git-server.ts';
import { driftless } from './cli.ts';

export interface CliProjectOptions {
  prune?: boolean;
  selfHeal?: boolean;
  /** Default 20s. */
  healthTimeout?: string;
}

/**
 * What a user sets up to try the CLI: a Git repository, and a folder whose
 * app.yaml declares one application on cluster-a (its manifests under `app/`
 * in the repository). `run` runs the built CLI in that folder.
 */
export function cliProject(
  git: GitServer,
  work: string,
  name: string,
  options: CliProjectOptions = {},
) {
  const url = git.createRepo(name);
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'app.yaml');
  writeFileSync(
    file,
    `apiVersion: driftless.dev/v1alpha1
kind: Application
metadata: { name: ${name} }
spec:
  source: { repoURL: ${url}, targetRevision: main, path: app }
  destination: { cluster: cluster-a, namespace: ${name} }
  syncPolicy:
    automated: { prune: ${options.prune ?? true}, selfHeal: ${options.selfHeal ?? false} }
    syncOptions: [CreateNamespace=true]
  healthTimeout: ${options.healthTimeout ?? '20s'}
`,
  );
  const commit = (files: Record<string, string>) => commitTree(git.repoPath(name), 'main', files);
  const run = (...args: string[]) => driftless(args, { cwd: dir });
  const kc = ['--kubeconfig', cluster('cluster-a').kubeconfig];
  return { name, url, dir, file, commit, run, kc };
}
