import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { cliResult } from '../cli-result.ts';
import type { BenchEnv } from '../env.ts';
import { microserviceManifests, writeManifests } from '../fixtures.ts';
import { median } from '../measure.ts';
import { compared, round, type CaseResult } from '../result.ts';

const OBJECTS = 30;

/**
 * app-30-sync and app-30-noop: a typical microservice application as a
 * person or a CI job runs the CLI: `driftless sync --no-wait` from scratch
 * (fresh namespace, no state, no Git cache) against `kubectl apply
 * --server-side`, then `driftless diff` against `kubectl diff
 * --server-side`; each in its own process, start-up included. The engine's
 * own part of our no-op is its result's total time.
 */
export async function app30Cases(env: BenchEnv, repetitions: number): Promise<CaseResult[]> {
  const sync = { ours: [] as number[], kubectl: [] as number[] };
  const noop = { ours: [] as number[], kubectl: [] as number[], engineMs: [] as number[] };
  for (let rep = 1; rep <= repetitions; rep++) {
    const ns = { ours: `app30-r${rep}-ours`, kubectl: `app30-r${rep}-kubectl` };
    await env.createNamespace(ns.ours);
    await env.createNamespace(ns.kubectl);
    const url = env.repoWith(ns.ours, 'app', microserviceManifests());
    const appFile = env.appFile(ns.ours, url, 'app', ns.ours);
    const args = (command: string) => [
      command,
      ...(command === 'sync' ? ['--no-wait'] : []),
      '-f',
      appFile,
      '--kubeconfig',
      env.cluster.kubeconfig,
      '--state',
      join(env.dir, 'state', ns.ours),
      '--cache-dir',
      join(env.dir, 'cache', ns.ours),
      '-o',
      'json',
    ];
    const dir = join(env.dir, 'manifests', ns.kubectl);
    mkdirSync(dir, { recursive: true });
    writeManifests(dir, microserviceManifests());

    const ours = await env.driftless(args('sync'));
    const created = cliResult(ours, 'driftless sync (app-30)');
    if (created.counts.Created !== OBJECTS)
      throw new Error(`driftless sync created ${created.counts.Created} of ${OBJECTS}`);
    const theirs = await env.kubectl('apply', '--server-side', '-n', ns.kubectl, '-f', dir);
    if (theirs.code !== 0) throw new Error(`kubectl apply (app-30): ${theirs.stderr}`);
    sync.ours.push(ours.seconds);
    sync.kubectl.push(theirs.seconds);

    // The controllers' writes (status, ReplicaSets) settle first, as they have before a drift check in practice.
    for (const namespace of [ns.ours, ns.kubectl]) await env.waitForDeployments(namespace, 120);
    cliResult(await env.driftless(args('sync')), 'settling sync (app-30)');
    for (let i = 0; i < 3; i++) {
      const diff = await env.driftless(args('diff'));
      const result = cliResult(diff, 'driftless diff (app-30)');
      if (result.status !== 'Synced') throw new Error(`driftless diff found drift: ${diff.stdout}`);
      noop.ours.push(diff.seconds);
      noop.engineMs.push(result.timings.totalMs ?? NaN);
      const kdiff = await env.kubectl('diff', '--server-side', '-n', ns.kubectl, '-f', dir);
      if (kdiff.code !== 0)
        throw new Error(`kubectl diff (app-30) exited ${kdiff.code}: ${kdiff.stderr}`);
      noop.kubectl.push(kdiff.seconds);
    }
  }
  const list = (values: number[]) => values.map((s) => s.toFixed(2)).join(' ');
  env.log(`app-30-sync: ours ${list(sync.ours)}; kubectl ${list(sync.kubectl)}`);
  env.log(
    `app-30-noop: ours ${list(noop.ours)} (engine ${noop.engineMs.join(' ')} ms); kubectl ${list(noop.kubectl)}`,
  );
  const syncResult = compared({
    name: 'app-30-sync',
    ours_s: median(sync.ours),
    baseline: 'kubectl apply --server-side',
    baseline_s: median(sync.kubectl),
    runs: repetitions,
    target: '>= 1.5x kubectl',
    notes: `${OBJECTS} objects (6 Deployments, 6 Services, 10 ConfigMaps, 6 ServiceAccounts, a Secret, an Ingress); driftless sync --no-wait -o json from scratch (fresh namespace, state and Git cache) in its own process`,
  });
  syncResult.met = (syncResult.ratio ?? 0) >= 1.5;
  const engineMs = median(noop.engineMs);
  const noopResult = compared({
    name: 'app-30-noop',
    ours_s: median(noop.ours),
    baseline: 'kubectl diff --server-side',
    baseline_s: median(noop.kubectl),
    runs: noop.ours.length,
    target: '>= 1.5x kubectl, engine < 50 ms',
    notes: `driftless diff -o json after a settling sync, in its own process; engine_ms: the engine's own time (the result's totalMs), without process start, module loading and opening the local state`,
    details: { engine_ms: round(engineMs, 0) },
  });
  noopResult.met = (noopResult.ratio ?? 0) >= 1.5 && engineMs < 50;
  return [syncResult, noopResult];
}
