import { cliResult, phases } from '../cli-result.ts';
import type { BenchEnv } from '../env.ts';
import { median } from '../measure.ts';
import { compared, round, type CaseResult } from '../result.ts';
import type { AppliedPair } from './apply.ts';

export function ourArgs(pair: AppliedPair, env: BenchEnv): string[] {
  const o = pair.ours;
  return [
    '-f',
    o.appFile,
    '--kubeconfig',
    env.cluster.kubeconfig,
    '--state',
    o.stateDir,
    '--cache-dir',
    o.cacheDir,
    '-o',
    'json',
  ];
}

/**
 * Brings both namespaces to the steady state a drift check meets in
 * practice: the controllers have written the Deployments' status, and our
 * last reconcile (a no-op sync) has recorded the resulting versions.
 */
export async function settle(env: BenchEnv, pair: AppliedPair): Promise<void> {
  for (const namespace of [pair.ours.namespace, pair.kubectl.namespace]) {
    const wait = await env.kubectl(
      'wait',
      '--for=condition=Available',
      'deployment',
      '--all',
      '-n',
      namespace,
      '--timeout=300s',
    );
    if (wait.code !== 0) throw new Error(`deployments did not settle: ${wait.stderr}`);
  }
  const sync = cliResult(
    await env.driftless(['sync', '--no-wait', ...ourArgs(pair, env)]),
    'settling sync',
  );
  if (sync.counts.Unchanged !== pair.size) {
    throw new Error(`settling sync found ${pair.size - sync.counts.Unchanged!} changed objects`);
  }
}

/** noop-1000: `driftless diff` (inventory fast path) against `kubectl diff --server-side`. */
export async function noopCase(
  env: BenchEnv,
  pair: AppliedPair,
  repetitions: { ours: number; kubectl: number },
): Promise<CaseResult> {
  const ours: number[] = [];
  let lastPhases: Record<string, number> = {};
  let peak = 0;
  for (let rep = 0; rep < repetitions.ours; rep++) {
    const run = await env.driftless(['diff', ...ourArgs(pair, env)]);
    const result = cliResult(run, 'driftless diff');
    if (result.status !== 'Synced' || result.counts.Unchanged !== pair.size) {
      throw new Error(`driftless diff reports drift on an unchanged namespace: ${run.stdout}`);
    }
    ours.push(run.seconds);
    peak = Math.max(peak, run.peakRssMb ?? 0);
    lastPhases = phases(result);
  }
  const theirs: number[] = [];
  for (let rep = 0; rep < repetitions.kubectl; rep++) {
    const run = await env.kubectl(
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
  env.log(
    `noop-${pair.size}: ours ${ours.map((s) => s.toFixed(2)).join(' ')}; kubectl ${theirs.map((s) => s.toFixed(2)).join(' ')}`,
  );
  const result = compared({
    name: `noop-${pair.size}`,
    ours_s: median(ours),
    baseline: 'kubectl diff --server-side',
    baseline_s: median(theirs),
    peak_rss_mb: round(peak, 0),
    runs: repetitions.ours,
    target: '< 0.5 s and >= 20x',
    notes: `ours: driftless diff -o json with the state of the last sync (inventory fast path), ${repetitions.ours} runs; kubectl: ${repetitions.kubectl} runs; phases of our last run: ${JSON.stringify(lastPhases)}`,
  });
  result.met = (result.ours_s ?? Infinity) < 0.5 && (result.ratio ?? 0) >= 20;
  return result;
}
