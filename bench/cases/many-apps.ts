import { join } from 'node:path';
import { startDynamo } from '../../test/harness/dynamodb.ts';
import type { BenchEnv } from '../env.ts';
import { smallAppManifests, type Manifests } from '../fixtures.ts';
import { NODE, repoRoot, runOk } from '../measure.ts';
import { round, type CaseResult } from '../result.ts';

const APPS = 500;
const CONCURRENCY = 20;
// Flux's published result for 1,000 Kustomizations of ~4 objects.
const FLUX_SECONDS = 4 * 60 + 13;

/**
 * many-apps-500: 500 applications of 4 objects, all from one commit of one
 * repository, reconciled 20 at a time. The engine runs in-process in a
 * worker (bench/many-apps-worker.ts), DynamoDB (dynalite) and the git
 * server in this process.
 */
export async function manyAppsCase(env: BenchEnv): Promise<CaseResult> {
  const files: Manifests = new Map();
  for (let i = 0; i < APPS; i++) {
    const name = `app-${String(i).padStart(3, '0')}`;
    for (const [path, text] of smallAppManifests(name)) files.set(`${name}/${path}`, text);
  }
  const repoURL = env.repoWith('fleet', 'apps', files);
  const namespace = 'fleet';
  await env.createNamespace(namespace);
  const dynamo = await startDynamo();
  try {
    const worker = await runOk(
      NODE,
      [
        join(repoRoot, 'bench', 'many-apps-worker.ts'),
        JSON.stringify({
          apps: APPS,
          concurrency: CONCURRENCY,
          repoURL,
          namespace,
          kubeconfig: env.cluster.kubeconfig,
          dynamoEndpoint: dynamo.endpoint,
          tableName: dynamo.tableName,
          cacheDir: join(env.dir, 'fleet-cache'),
        }),
      ],
      { measureRss: true },
    );
    const report = JSON.parse(worker.stdout) as {
      seconds: number;
      failed: number;
      failures: string[];
    };
    if (report.failed)
      throw new Error(`${report.failed} apps failed: ${report.failures.join('; ')}`);
    env.log(`many-apps-${APPS}: ${report.seconds.toFixed(1)} s`);
    return {
      name: `many-apps-${APPS}`,
      ours_s: round(report.seconds),
      baseline: "Flux's published benchmark, 1,000 Kustomizations (not run here)",
      baseline_s: FLUX_SECONDS,
      peak_rss_mb: round(worker.peakRssMb ?? 0, 0),
      target: '< 60 s',
      met: report.seconds < 60,
      notes: `${APPS} apps × 4 objects (ConfigMap, Secret, Service, Deployment at 0 replicas) in one namespace, one commit, concurrency ${CONCURRENCY}, runApplication with DynamoDB state (dynalite) as the reconciler Lambda runs it, no wait for health (Flux's default, wait: false). Flux's number is for twice the apps on a 16-core runner, so no ratio is given`,
    };
  } finally {
    await dynamo.stop();
  }
}
