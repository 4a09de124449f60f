import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { BenchEnv } from '../env.ts';
import { buildFluxApply, fluxApply, type FluxResult } from './flux.ts';

function configMap(i: number, value: string): object {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: `peer-config-${i}` },
    data: { KEY: value },
  };
}

function deployment(namespace: string): object {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    // Namespaced in the file; the ConfigMaps get theirs from --namespace.
    metadata: { name: 'peer-deploy', namespace },
    spec: {
      replicas: 0,
      selector: { matchLabels: { app: 'peer-deploy' } },
      template: {
        metadata: { labels: { app: 'peer-deploy' } },
        spec: { containers: [{ name: 'main', image: 'registry.k8s.io/pause:3.10' }] },
      },
    },
  };
}

/** The ConfigMaps in one multi-document file, the Deployment in another. */
function writeFolder(dir: string, namespace: string, changed: number | undefined): void {
  mkdirSync(dir, { recursive: true });
  const maps = [0, 1, 2, 3, 4].map((i) => configMap(i, i === changed ? 'changed' : `value-${i}`));
  writeFileSync(join(dir, 'configmaps.yaml'), maps.map((m) => stringify(m)).join('---\n'));
  writeFileSync(join(dir, 'deployment.yaml'), stringify(deployment(namespace)));
}

function expectCounts(
  step: string,
  result: FluxResult,
  want: { created: number; configured: number; unchanged: number },
): void {
  const got = {
    created: result.created,
    configured: result.configured,
    unchanged: result.unchanged,
  };
  if (
    result.objects !== 6 ||
    got.created !== want.created ||
    got.configured !== want.configured ||
    got.unchanged !== want.unchanged
  ) {
    throw new Error(
      `flux-apply self-check, ${step}: expected 6 objects, ${JSON.stringify(want)}; got ${result.objects} objects, ${JSON.stringify(got)}`,
    );
  }
}

/**
 * Proves flux-apply works against the bench's API server before it is
 * measured: 5 ConfigMaps and a Deployment are created, then found unchanged,
 * then one changed ConfigMap is configured and nothing else.
 */
export async function checkFluxApply(env: BenchEnv): Promise<void> {
  const namespace = 'flux-peer-check';
  await env.createNamespace(namespace);
  const dir = join(env.dir, 'flux-peer-check');
  const apply = () => fluxApply({ kubeconfig: env.cluster.kubeconfig, dir, namespace });
  writeFolder(dir, namespace, undefined);
  expectCounts('first apply', await apply(), { created: 6, configured: 0, unchanged: 0 });
  expectCounts('second apply', await apply(), { created: 0, configured: 0, unchanged: 6 });
  writeFolder(dir, namespace, 3);
  expectCounts('apply after one change', await apply(), {
    created: 0,
    configured: 1,
    unchanged: 5,
  });
  const read = await env.kubectl(
    'get',
    'configmap',
    'peer-config-3',
    '-n',
    namespace,
    '-o',
    'jsonpath={.data.KEY}',
  );
  if (read.code !== 0 || read.stdout !== 'changed') {
    throw new Error(
      `flux-apply self-check: peer-config-3 holds ${JSON.stringify(read.stdout)} after the change (${read.stderr.trim()})`,
    );
  }
}

/** Builds flux-apply (cached) and self-checks it; call once per bench run, before measuring it. */
export async function prepareFluxPeer(env: BenchEnv): Promise<void> {
  env.log('building flux-apply, the Flux engine peer (cached after the first build)');
  await buildFluxApply((line) => env.log(line));
  await checkFluxApply(env);
  env.log('flux-apply self-check passed (6 created, 6 unchanged, 1 configured)');
}
