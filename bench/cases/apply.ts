import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { cliResult, phases } from '../cli-result.ts';
import type { BenchEnv } from '../env.ts';
import { applyManifests, crdFor, writeManifests } from '../fixtures.ts';
import { median } from '../measure.ts';
import { compared, round, type CaseResult } from '../result.ts';

/** One application synced by us and the same manifests applied by kubectl, in separate namespaces. */
export interface AppliedPair {
  size: number;
  ours: { app: string; namespace: string; appFile: string; stateDir: string; cacheDir: string };
  kubectl: { namespace: string; dir: string };
}

async function syncOurs(env: BenchEnv, name: string, size: number) {
  const namespace = `${name}-ours`;
  await env.createNamespace(namespace);
  const url = env.repoWith(namespace, 'app', applyManifests(namespace, size));
  const appFile = env.appFile(namespace, url, 'app', namespace);
  // A first sync as a new user runs it: no state, no Git cache.
  const stateDir = join(env.dir, 'state', namespace);
  const cacheDir = join(env.dir, 'cache', namespace);
  // --no-wait: kubectl apply does not wait for the controllers either (the
  // wait is reported separately, see the notes).
  const run = await env.driftless([
    'sync',
    '--no-wait',
    '-f',
    appFile,
    '--kubeconfig',
    env.cluster.kubeconfig,
    '--state',
    stateDir,
    '--cache-dir',
    cacheDir,
    '-o',
    'json',
  ]);
  const result = cliResult(run, `driftless sync of ${size} objects`);
  if (result.counts.Created !== size) {
    throw new Error(`driftless sync created ${result.counts.Created} of ${size} objects`);
  }
  return {
    run,
    phases: phases(result),
    pair: { app: namespace, namespace, appFile, stateDir, cacheDir },
  };
}

/**
 * What a kubectl user must do with a CRD and its resources in one folder:
 * install the CRD, wait until it is Established (kubectl maps every object
 * before applying any, so the resources would fail otherwise), then apply
 * the folder.
 */
async function applyKubectl(env: BenchEnv, name: string, size: number) {
  const namespace = `${name}-kubectl`;
  await env.createNamespace(namespace);
  const dir = join(env.dir, 'manifests', namespace);
  mkdirSync(dir, { recursive: true });
  writeManifests(dir, applyManifests(namespace, size));
  const started = performance.now();
  const steps = [
    ['apply', '--server-side', '-f', join(dir, '00-crd.yaml')],
    ['wait', '--for=condition=Established', `crd/${crdFor(namespace).name}`, '--timeout=60s'],
    ['apply', '--server-side', '-n', namespace, '-f', dir],
  ];
  for (const args of steps) {
    const step = await env.kubectl(...args);
    if (step.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${step.stderr.slice(-2000)}`);
  }
  return { seconds: (performance.now() - started) / 1000, pair: { namespace, dir } };
}

/**
 * apply-N: N objects into fresh namespaces, `driftless sync` against
 * `kubectl apply --server-side`; the order alternates between repetitions so
 * neither side always runs on a cluster the other just warmed up.
 */
export async function applyCase(
  env: BenchEnv,
  size: number,
  repetitions: number,
): Promise<{ result: CaseResult; last: AppliedPair }> {
  const ours: number[] = [];
  const theirs: number[] = [];
  const rss: number[] = [];
  let lastPhases: Record<string, number> = {};
  let last: AppliedPair | undefined;
  for (let rep = 1; rep <= repetitions; rep++) {
    const name = `b${size}-r${rep}`;
    const doOurs = () => syncOurs(env, name, size);
    const doTheirs = () => applyKubectl(env, name, size);
    const [o, k] =
      rep % 2 === 1
        ? [await doOurs(), await doTheirs()]
        : await (async () => {
            const kk = await doTheirs();
            return [await doOurs(), kk] as const;
          })();
    ours.push(o.run.seconds);
    theirs.push(k.seconds);
    if (o.run.peakRssMb !== undefined) rss.push(o.run.peakRssMb);
    lastPhases = o.phases;
    last = { size, ours: o.pair, kubectl: k.pair };
    env.log(
      `apply-${size} #${rep}: ours ${o.run.seconds.toFixed(2)} s (${JSON.stringify(o.phases)}), kubectl ${k.seconds.toFixed(2)} s`,
    );
  }
  const peak = Math.max(...rss);
  const result = compared({
    name: `apply-${size}`,
    ours_s: median(ours),
    baseline: 'kubectl apply --server-side (CRD, wait Established, folder)',
    baseline_s: median(theirs),
    peak_rss_mb: round(peak, 0),
    runs: repetitions,
    notes: `ours: driftless sync -o json as a first-time user (fresh namespace, no state, no Git cache), including the Git fetch, with --no-wait; phases of the last run: ${JSON.stringify(lastPhases)}`,
  });
  if (size === 1000) {
    result.target = '>= 5x, peak RSS < 300 MB';
    result.met = (result.ratio ?? 0) >= 5 && peak < 300;
  }
  return { result, last: last! };
}
