import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startControlPlane, type LocalCluster } from '../test/harness/control-plane.ts';
import { startGitServer, type GitServer } from '../test/harness/git-server.ts';
import { commitTree } from '../test/harness/git-fixtures.ts';
import { toolPath } from '../test/harness/tools.ts';
import { applicationYaml, writeManifests, type Manifests } from './fixtures.ts';
import { NODE, repoRoot, run, runOk, type Run } from './measure.ts';

const CLI = join(repoRoot, 'dist', 'cli', 'driftless.mjs');

/** The servers and helpers every case uses; one per benchmark run. */
export interface BenchEnv {
  cluster: LocalCluster;
  git: GitServer;
  /** Scratch folder, removed at the end. */
  dir: string;
  log(message: string): void;
  kubectl(...args: string[]): Promise<Run>;
  /** kubectl with another kubeconfig (the same cluster through a latency proxy). */
  kubectlVia(kubeconfig: string, ...args: string[]): Promise<Run>;
  /** `driftless ...` as a user runs it: the built CLI in its own Node process, peak RSS measured. */
  driftless(args: string[], options?: { cwd?: string }): Promise<Run>;
  /** A new repository whose `main` has `files` under `path`; returns its URL. */
  repoWith(name: string, path: string, files: Manifests): string;
  /** Writes an Application file for `app` in `namespace` and returns its path. */
  appFile(app: string, repoURL: string, path: string, namespace: string): string;
  createNamespace(name: string): Promise<void>;
  /** Waits until every Deployment of `namespace` is Available (the controllers' writes settled). */
  waitForDeployments(namespace: string, timeoutS?: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startBenchEnv(log: (message: string) => void): Promise<BenchEnv> {
  const dir = mkdtempSync(join(tmpdir(), 'driftless-bench-'));
  // One cluster and one simulated node: the benchmark needs no second
  // cluster, and every process saved is CPU left for the measured tools.
  const [plane, git] = await Promise.all([
    startControlPlane({ clusterNames: ['bench'], nodes: 1, log }),
    startGitServer(),
  ]);
  const cluster = plane.clusters[0]!;
  const kubectlPath = toolPath('kubectl');
  const kubectl = (...args: string[]) =>
    run(kubectlPath, ['--kubeconfig', cluster.kubeconfig, ...args]);
  return {
    cluster,
    git,
    dir,
    log,
    kubectl,
    kubectlVia: (kubeconfig, ...args) => run(kubectlPath, ['--kubeconfig', kubeconfig, ...args]),
    driftless: (args, options = {}) =>
      run(NODE, [CLI, ...args], { cwd: options.cwd ?? dir, measureRss: true }),
    repoWith(name, path, files) {
      const url = git.createRepo(name);
      const work = join(dir, 'work', name);
      writeManifests(join(work, path), files);
      commitTree(git.repoPath(name), 'main', { dir: work });
      rmSync(work, { recursive: true, force: true });
      return url;
    },
    appFile(app, repoURL, path, namespace) {
      const file = join(dir, 'apps', `${app}.yaml`);
      mkdirSync(join(dir, 'apps'), { recursive: true });
      writeFileSync(
        file,
        applicationYaml({ name: app, repoURL, path, namespace, cluster: cluster.name }),
      );
      return file;
    },
    async createNamespace(name) {
      await runOk(kubectlPath, ['--kubeconfig', cluster.kubeconfig, 'create', 'namespace', name]);
    },
    async waitForDeployments(namespace, timeoutS = 600) {
      const wait = await kubectl(
        'wait',
        '--for=condition=Available',
        'deployment',
        '--all',
        '-n',
        namespace,
        `--timeout=${timeoutS}s`,
      );
      if (wait.code !== 0)
        throw new Error(`deployments in ${namespace} did not settle: ${wait.stderr}`);
    },
    async stop() {
      await Promise.all([plane.stop(), git.stop()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
