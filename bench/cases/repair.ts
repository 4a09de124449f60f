import { cliResult, phases } from '../cli-result.ts';
import type { BenchEnv } from '../env.ts';
import { median } from '../measure.ts';
import { fluxApply } from '../peers/flux.ts';
import { compared, round, type CaseResult } from '../result.ts';
import type { AppliedPair } from './apply.ts';
import { ourArgs } from './noop.ts';

const DRIFTED = 10;

/** Changes 10 objects the way a person with kubectl would: five ConfigMaps' data, five Deployments' image. */
async function drift(env: BenchEnv, namespace: string, rep: number): Promise<void> {
  const patches: [string, string][] = [];
  for (let i = 0; i < DRIFTED / 2; i++) {
    const n = rep * 10 + i;
    patches.push([
      `configmap/config-${n}`,
      JSON.stringify({ data: { LOG_LEVEL: `drifted-${rep}` } }),
    ]);
    patches.push([
      `deployment/deploy-${n}`,
      JSON.stringify({
        spec: { template: { spec: { containers: [{ name: 'main', image: `busybox:1.${rep}` }] } } },
      }),
    ]);
  }
  await Promise.all(
    patches.map(async ([object, patch]) => {
      const run = await env.kubectl(
        'patch',
        '-n',
        namespace,
        object,
        '--type',
        'strategic',
        '-p',
        patch,
      );
      if (run.code !== 0) throw new Error(`kubectl patch ${object}: ${run.stderr}`);
    }),
  );
}

/** repair-10-of-1000: after 10 objects were changed by hand, one reconcile puts them back. */
export async function repairCase(
  env: BenchEnv,
  pair: AppliedPair,
  repetitions: number,
): Promise<CaseResult> {
  const ours: number[] = [];
  const theirs: number[] = [];
  const flux: number[] = [];
  const engine: number[] = [];
  const { link } = pair;
  let peak = 0;
  let lastPhases: Record<string, number> = {};
  for (let rep = 1; rep <= repetitions; rep++) {
    await drift(env, pair.ours.namespace, rep);
    const run = await env.driftless(['sync', '--no-wait', ...ourArgs(pair)]);
    const result = cliResult(run, 'driftless sync (repair)');
    if (result.counts.Configured !== DRIFTED) {
      throw new Error(
        `the repair re-applied ${result.counts.Configured} objects, expected ${DRIFTED}`,
      );
    }
    ours.push(run.seconds);
    peak = Math.max(peak, run.peakRssMb ?? 0);
    lastPhases = phases(result);
    engine.push(lastPhases.total_s ?? NaN);

    await drift(env, pair.kubectl.namespace, rep);
    const apply = await env.kubectlVia(
      link.kubeconfig,
      'apply',
      '--server-side',
      '--force-conflicts',
      '-n',
      pair.kubectl.namespace,
      '-f',
      pair.kubectl.dir,
    );
    if (apply.code !== 0) throw new Error(`kubectl apply (repair): ${apply.stderr}`);
    theirs.push(apply.seconds);

    await drift(env, pair.flux.namespace, rep);
    const fixed = await fluxApply({
      kubeconfig: link.kubeconfig,
      dir: pair.flux.dir,
      namespace: pair.flux.namespace,
    });
    if (fixed.configured !== DRIFTED)
      throw new Error(`Flux's engine re-applied ${fixed.configured} objects, expected ${DRIFTED}`);
    flux.push(fixed.seconds);
  }
  const list = (values: number[]) => values.map((s) => s.toFixed(2)).join(' ');
  env.log(`repair${link.suffix}: ours ${list(ours)}; kubectl ${list(theirs)}; flux ${list(flux)}`);
  const result = compared({
    name: `repair-${DRIFTED}-of-${pair.size}${link.suffix}`,
    ours_s: median(ours),
    baseline: 'kubectl apply --server-side --force-conflicts',
    baseline_s: median(theirs),
    peak_rss_mb: round(peak, 0),
    runs: repetitions,
    notes: `${link.rttMs} ms added per round trip; 5 ConfigMaps (data) and 5 Deployments (image) changed with kubectl patch, then driftless sync --no-wait; flux: ApplyAllStaged (its call only); each repetition drifts other objects; phases of our last run: ${JSON.stringify(lastPhases)}`,
  });
  result.engine_s = round(median(engine));
  result.flux_s = round(median(flux));
  result.flux_ratio = round(result.flux_s / result.engine_s, 1);
  return result;
}
