import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { cliResult, phases } from '../cli-result.ts';
import type { BenchEnv } from '../env.ts';
import { applyManifests, crdFor, writeManifests } from '../fixtures.ts';
import type { Link } from '../links.ts';
import { median } from '../measure.ts';
import { fluxApply } from '../peers/flux.ts';
import { compared, round, type CaseResult } from '../result.ts';

/** One application synced by us and the same manifests applied by kubectl and by Flux's engine, in separate namespaces. */
export interface AppliedPair {
  size: number;
  link: Link;
  ours: { app: string; namespace: string; appFile: string; stateDir: string; cacheDir: string };
  kubectl: { namespace: string; dir: string };
  flux: { namespace: string; dir: string };
}

async function syncOurs(env: BenchEnv, link: Link, name: string, size: number) {
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
    link.kubeconfig,
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

function manifestsFolder(env: BenchEnv, namespace: string, size: number): string {
  const dir = join(env.dir, 'manifests', namespace);
  mkdirSync(dir, { recursive: true });
  writeManifests(dir, applyManifests(namespace, size));
  return dir;
}

/**
 * What a kubectl user must do with a CRD and its resources in one folder:
 * install the CRD, wait until it is Established (kubectl maps every object
 * before applying any, so the resources would fail otherwise), then apply
 * the folder.
 */
async function applyKubectl(env: BenchEnv, link: Link, name: string, size: number) {
  const namespace = `${name}-kubectl`;
  await env.createNamespace(namespace);
  const dir = manifestsFolder(env, namespace, size);
  const started = performance.now();
  const steps = [
    ['apply', '--server-side', '-f', join(dir, '00-crd.yaml')],
    ['wait', '--for=condition=Established', `crd/${crdFor(namespace).name}`, '--timeout=60s'],
    ['apply', '--server-side', '-n', namespace, '-f', dir],
  ];
  for (const args of steps) {
    const step = await env.kubectlVia(link.kubeconfig, ...args);
    if (step.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${step.stderr.slice(-2000)}`);
  }
  return { seconds: (performance.now() - started) / 1000, pair: { namespace, dir } };
}

/** Flux's engine on the same folder: ApplyAllStaged (CRDs first, waiting for them) in one call. */
async function applyFlux(env: BenchEnv, link: Link, name: string, size: number) {
  const namespace = `${name}-flux`;
  await env.createNamespace(namespace);
  const dir = manifestsFolder(env, namespace, size);
  const result = await fluxApply({ kubeconfig: link.kubeconfig, dir, namespace });
  if (result.created !== size)
    throw new Error(`Flux's engine created ${result.created} of ${size} objects`);
  return { seconds: result.seconds, pair: { namespace, dir } };
}

export interface ApplyTarget {
  /** At least this many times faster than kubectl. */
  kubectl: number;
  /** At least this many times faster than Flux's engine. */
  flux?: number;
  /** Peak RSS of our CLI below this many MB. */
  rssMb?: number;
}

/**
 * apply-N: N objects into fresh namespaces, `driftless sync` against
 * `kubectl apply --server-side` and Flux's engine; the order rotates between
 * repetitions so no side always runs on a cluster another just warmed up.
 */
export async function applyCase(
  env: BenchEnv,
  link: Link,
  size: number,
  repetitions: number,
  target?: ApplyTarget,
): Promise<{ result: CaseResult; last: AppliedPair }> {
  const times = {
    ours: [] as number[],
    engine: [] as number[],
    kubectl: [] as number[],
    flux: [] as number[],
  };
  const rss: number[] = [];
  let lastPhases: Record<string, number> = {};
  let last: AppliedPair | undefined;
  for (let rep = 1; rep <= repetitions; rep++) {
    const name = `b${size}${link.suffix}-r${rep}`;
    let o: Awaited<ReturnType<typeof syncOurs>> | undefined;
    let k: Awaited<ReturnType<typeof applyKubectl>> | undefined;
    let f: Awaited<ReturnType<typeof applyFlux>> | undefined;
    const steps = [
      async () => void (o = await syncOurs(env, link, name, size)),
      async () => void (k = await applyKubectl(env, link, name, size)),
      async () => void (f = await applyFlux(env, link, name, size)),
    ];
    for (let i = 0; i < steps.length; i++) await steps[(i + rep - 1) % steps.length]!();
    times.ours.push(o!.run.seconds);
    times.engine.push(o!.phases.total_s ?? NaN);
    times.kubectl.push(k!.seconds);
    times.flux.push(f!.seconds);
    if (o!.run.peakRssMb !== undefined) rss.push(o!.run.peakRssMb);
    lastPhases = o!.phases;
    last = { size, link, ours: o!.pair, kubectl: k!.pair, flux: f!.pair };
    env.log(
      `apply-${size}${link.suffix} #${rep}: ours ${o!.run.seconds.toFixed(2)} s (${JSON.stringify(o!.phases)}), kubectl ${k!.seconds.toFixed(2)} s, flux ${f!.seconds.toFixed(2)} s`,
    );
  }
  const peak = Math.max(...rss);
  const result = compared({
    name: `apply-${size}${link.suffix}`,
    ours_s: median(times.ours),
    baseline: 'kubectl apply --server-side (CRD, wait Established, folder)',
    baseline_s: median(times.kubectl),
    peak_rss_mb: round(peak, 0),
    runs: repetitions,
    notes: `${link.rttMs} ms added per round trip (Toxiproxy); ours: driftless sync -o json as a first-time user (fresh namespace, no state, no Git cache), including the Git fetch, with --no-wait; flux: ApplyAllStaged of bench/peers/flux-apply (its call only: no process start, no kustomize build), flux_ratio against our engine's time (engine_s: the result's total, Git fetch and render included); phases of our last run: ${JSON.stringify(lastPhases)}`,
  });
  result.engine_s = round(median(times.engine));
  result.flux_s = round(median(times.flux));
  result.flux_ratio = round(result.flux_s / result.engine_s, 1);
  if (target) {
    result.target =
      `>= ${target.kubectl}x kubectl` +
      (target.flux ? `, >= ${target.flux}x Flux` : '') +
      (target.rssMb ? `, peak RSS < ${target.rssMb} MB` : '');
    result.met =
      (result.ratio ?? 0) >= target.kubectl &&
      (!target.flux || result.flux_ratio >= target.flux) &&
      (!target.rssMb || peak < target.rssMb);
  }
  return { result, last: last! };
}

/** apply-N for a large N: our peak memory is the point; kubectl once for scale, Flux's engine not run. */
export async function largeApplyCase(
  env: BenchEnv,
  link: Link,
  size: number,
  rssMb: number,
): Promise<CaseResult> {
  const name = `b${size}`;
  const o = await syncOurs(env, link, name, size);
  const k = await applyKubectl(env, link, name, size);
  env.log(
    `apply-${size}: ours ${o.run.seconds.toFixed(2)} s, ${o.run.peakRssMb} MB; kubectl ${k.seconds.toFixed(2)} s`,
  );
  const peak = o.run.peakRssMb ?? Infinity;
  return {
    ...compared({
      name: `apply-${size}`,
      ours_s: o.run.seconds,
      baseline: 'kubectl apply --server-side (CRD, wait Established, folder)',
      baseline_s: k.seconds,
      peak_rss_mb: round(peak, 0),
      runs: 1,
      notes: `driftless sync --no-wait -o json as a first-time user; phases: ${JSON.stringify(o.phases)}`,
    }),
    target: `peak RSS < ${rssMb} MB`,
    met: peak < rssMb,
  };
}
