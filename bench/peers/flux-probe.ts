// `node bench/peers/flux-probe.ts [--reps=N]`: starts the bench's control
// plane, builds and self-checks flux-apply, then times Flux's engine on the
// bench's apply-1000 fixture and on 1,000 ConfigMaps + 10 Deployments (first
// apply, then a no-op once the Deployments are Available), with kubectl
// apply --server-side on the same folders for context. Prints one JSON object.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startBenchEnv, type BenchEnv } from '../env.ts';
import { applyManifests, crdFor, writeManifests, type Manifests } from '../fixtures.ts';
import { median } from '../measure.ts';
import { prepareFluxPeer } from './check.ts';
import { fluxApply } from './flux.ts';

const reps = Number(process.argv.find((a) => a.startsWith('--reps='))?.slice(7) ?? 3);
const log = (message: string): void => console.error(`[flux-probe] ${message}`);

function configMapsAndDeployments(maps: number, deployments: number): Manifests {
  const files: Manifests = new Map();
  for (let i = 0; i < maps; i++) {
    files.set(
      `cm-${String(i).padStart(4, '0')}.yaml`,
      stringify({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: `config-${i}` },
        data: { 'app.properties': `name=config-${i}\nreplicas=${i % 5}\n`, LOG_LEVEL: 'info' },
      }),
    );
  }
  for (let i = 0; i < deployments; i++) {
    files.set(
      `deploy-${String(i).padStart(2, '0')}.yaml`,
      stringify({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: `deploy-${i}` },
        spec: {
          replicas: 0,
          selector: { matchLabels: { app: `deploy-${i}` } },
          template: {
            metadata: { labels: { app: `deploy-${i}` } },
            spec: { containers: [{ name: 'main', image: 'registry.k8s.io/pause:3.10' }] },
          },
        },
      }),
    );
  }
  return files;
}

async function kubectlApply(env: BenchEnv, dir: string, namespace: string, crd?: string) {
  const started = performance.now();
  const steps = crd
    ? [
        ['apply', '--server-side', '-f', join(dir, '00-crd.yaml')],
        ['wait', '--for=condition=Established', `crd/${crd}`, '--timeout=60s'],
      ]
    : [];
  steps.push(['apply', '--server-side', '-n', namespace, '-f', dir]);
  for (const args of steps) {
    const step = await env.kubectl(...args);
    if (step.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${step.stderr.slice(-2000)}`);
  }
  return (performance.now() - started) / 1000;
}

async function measure(env: BenchEnv, label: string, make: (ns: string) => Manifests) {
  const first: number[] = [];
  const firstProcess: number[] = [];
  const noop: number[] = [];
  const noopProcess: number[] = [];
  const kubectl: number[] = [];
  let objects = 0;
  let qps = 0;
  for (let rep = 1; rep <= reps; rep++) {
    const namespace = `${label}-r${rep}`;
    const dir = join(env.dir, 'flux-probe', namespace);
    mkdirSync(dir, { recursive: true });
    writeManifests(dir, make(namespace));
    await env.createNamespace(namespace);
    const applied = await fluxApply({ kubeconfig: env.cluster.kubeconfig, dir, namespace });
    if (applied.created !== applied.objects) {
      throw new Error(`${label}: created ${applied.created} of ${applied.objects}`);
    }
    objects = applied.objects;
    qps = applied.qps;
    first.push(applied.seconds);
    firstProcess.push(applied.processSeconds);
    await env.waitForDeployments(namespace, 300);
    const again = await fluxApply({ kubeconfig: env.cluster.kubeconfig, dir, namespace });
    if (again.unchanged !== again.objects) {
      throw new Error(`${label} no-op: ${again.objects - again.unchanged} objects changed`);
    }
    noop.push(again.seconds);
    noopProcess.push(again.processSeconds);
    // kubectl into its own namespace (and CRD) from the same generator.
    const kns = `${label}-k${rep}`;
    const kdir = join(env.dir, 'flux-probe', kns);
    mkdirSync(kdir, { recursive: true });
    const kfiles = make(kns);
    writeManifests(kdir, kfiles);
    await env.createNamespace(kns);
    kubectl.push(
      await kubectlApply(env, kdir, kns, kfiles.has('00-crd.yaml') ? crdFor(kns).name : undefined),
    );
    log(
      `${label} #${rep}: flux first ${applied.seconds.toFixed(2)} s (process ${applied.processSeconds.toFixed(2)} s), no-op ${again.seconds.toFixed(2)} s (process ${again.processSeconds.toFixed(2)} s), kubectl apply ${kubectl.at(-1)!.toFixed(2)} s`,
    );
  }
  const r = (x: number) => Math.round(x * 100) / 100;
  return {
    case: label,
    objects,
    runs: reps,
    client_qps: qps,
    flux_first_s: r(median(first)),
    flux_first_process_s: r(median(firstProcess)),
    flux_noop_s: r(median(noop)),
    flux_noop_process_s: r(median(noopProcess)),
    kubectl_apply_s: r(median(kubectl)),
    all: { first, noop, kubectl },
  };
}

const env = await startBenchEnv(log);
try {
  await prepareFluxPeer(env);
  const results = [
    await measure(env, 'apply1000', (ns) => applyManifests(ns, 1000)),
    await measure(env, 'cm1000', () => configMapsAndDeployments(1000, 10)),
  ];
  console.log(JSON.stringify(results, null, 2));
} finally {
  await env.stop();
}
