import { cliResult, phases } from '../cli-result.ts';
import type { BenchEnv } from '../env.ts';
import { median } from '../measure.ts';
import { fluxApply } from '../peers/flux.ts';
import { compared, round, type CaseResult } from '../result.ts';
import type { AppliedPair } from './apply.ts';

export function ourArgs(pair: AppliedPair): string[] {
  const o = pair.ours;
  return [
    '-f',
    o.appFile,
    '--kubeconfig',
    pair.link.kubeconfig,
    '--state',
    o.stateDir,
    '--cache-dir',
    o.cacheDir,
    '-o',
    'json',
  ];
}

/**
 * Brings the namespaces to the steady state a drift check meets in
 * practice: the controllers have written the Deployments' status, and our
 * last reconcile (a no-op sync) and Flux's have recorded the resulting versions.
 */
export async function settle(env: BenchEnv, pair: AppliedPair): Promise<void> {
  for (const namespace of [pair.ours.namespace, pair.kubectl.namespace, pair.flux.namespace])
    await env.waitForDeployments(namespace);
  const sync = cliResult(
    await env.driftless(['sync', '--no-wait', ...ourArgs(pair)]),
    'settling sync',
  );
  if (sync.counts.Unchanged !== pair.size) {
    throw new Error(`settling sync found ${pair.size - sync.counts.Unchanged!} changed objects`);
  }
}

/** Flux's drift check: ApplyAllStaged again, which dry-runs every object and applies none. */
async function fluxNoop(pair: AppliedPair): Promise<number> {
  const { link, flux, size } = pair;
  const result = await fluxApply({
    kubeconfig: link.kubeconfig,
    dir: flux.dir,
    namespace: flux.namespace,
  });
  if (result.unchanged !== size)
    throw new Error(`Flux's engine found ${size - result.unchanged} changed objects in a no-op`);
  return result.seconds;
}

export interface NoopTarget {
  kubectl: number;
  flux?: number;
  /** Our time below this many seconds. */
  underS?: number;
}

/** noop-N: `driftless diff` (inventory fast path) against `kubectl diff --server-side` and Flux's engine. */
export async function noopCase(
  env: BenchEnv,
  pair: AppliedPair,
  repetitions: { ours: number; kubectl: number; flux: number },
  target: NoopTarget,
): Promise<CaseResult> {
  const ours: number[] = [];
  const engine: number[] = [];
  let lastPhases: Record<string, number> = {};
  let peak = 0;
  for (let rep = 0; rep < repetitions.ours; rep++) {
    const run = await env.driftless(['diff', ...ourArgs(pair)]);
    const result = cliResult(run, 'driftless diff');
    if (result.status !== 'Synced' || result.counts.Unchanged !== pair.size) {
      throw new Error(`driftless diff reports drift on an unchanged namespace: ${run.stdout}`);
    }
    ours.push(run.seconds);
    peak = Math.max(peak, run.peakRssMb ?? 0);
    lastPhases = phases(result);
    engine.push(lastPhases.total_s ?? NaN);
  }
  const theirs: number[] = [];
  for (let rep = 0; rep < repetitions.kubectl; rep++) {
    const run = await env.kubectlVia(
      pair.link.kubeconfig,
      'diff',
      '--server-side',
      '-n',
      pair.kubectl.namespace,
      '-f',
      pair.kubectl.dir,
    );
    if (run.code !== 0) throw new Error(`kubectl diff exited ${run.code}: ${run.stderr}`);
    theirs.push(run.seconds);
  }
  const flux: number[] = [];
  for (let rep = 0; rep < repetitions.flux; rep++) flux.push(await fluxNoop(pair));
  const name = `noop-${pair.size}${pair.link.suffix}`;
  const list = (values: number[]) => values.map((s) => s.toFixed(2)).join(' ');
  env.log(`${name}: ours ${list(ours)}; kubectl ${list(theirs)}; flux ${list(flux)}`);
  const result = compared({
    name,
    ours_s: median(ours),
    baseline: 'kubectl diff --server-side',
    baseline_s: median(theirs),
    peak_rss_mb: round(peak, 0),
    runs: repetitions.ours,
    notes: `${pair.link.rttMs} ms added per round trip; ours: driftless diff -o json with the state of the last sync (inventory fast path), ${repetitions.ours} runs; kubectl: ${repetitions.kubectl} runs; flux: ApplyAllStaged again on its settled namespace (its call only), ${repetitions.flux} runs, flux_ratio against our engine's time (engine_s); phases of our last run: ${JSON.stringify(lastPhases)}`,
  });
  result.engine_s = round(median(engine));
  result.flux_s = round(median(flux));
  result.flux_ratio = round(result.flux_s / result.engine_s, 1);
  result.target =
    `>= ${target.kubectl}x kubectl` +
    (target.flux ? `, >= ${target.flux}x Flux` : '') +
    (target.underS ? `, < ${target.underS} s` : '');
  result.met =
    (result.ratio ?? 0) >= target.kubectl &&
    (!target.flux || result.flux_ratio >= target.flux) &&
    (!target.underS || result.ours_s! < target.underS);
  return result;
}
