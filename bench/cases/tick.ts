import { join } from 'node:path';
import { startDynamo } from '../../test/harness/dynamodb.ts';
import type { BenchEnv } from '../env.ts';
import { smallAppManifests, type Manifests } from '../fixtures.ts';
import { NODE, repoRoot, runOk } from '../measure.ts';
import { round, type CaseResult } from '../result.ts';
import { CHECKS_PER_MONTH, PRICES, WRITE_COMMANDS } from '../prices.ts';

const APPS = 500;
const CONCURRENCY = 20;
const TICKS_PER_MONTH = CHECKS_PER_MONTH;
const LAMBDA_GB = 0.5;
const USD_PER_GB_S = PRICES.lambdaArmUsdPerGbSecond;
const USD_PER_RRU = PRICES.dynamoUsdPerReadUnit;
const USD_PER_WRU = PRICES.dynamoUsdPerWriteUnit;
const WRITES = WRITE_COMMANDS;

interface WorkerReport {
  seconds: number;
  kube: Record<string, number>;
  dynamo: Record<string, { requests: number; units: number }>;
  failed: number;
  failures: string[];
}

/**
 * tick-500: the many-apps fleet (500 apps × 4 objects, one repository), first
 * synced, then one scheduler tick: every app's scheduled reconcile (a drift
 * check at the synced revision) with nothing changed, 20 at a time, in a
 * fresh worker process (bench/tick-worker.ts) that counts the Kubernetes
 * and DynamoDB requests it sends. Priced per app-month at a 3-minute schedule.
 */
export async function tickCase(env: BenchEnv): Promise<CaseResult> {
  const files: Manifests = new Map();
  for (let i = 0; i < APPS; i++) {
    const name = `app-${String(i).padStart(3, '0')}`;
    for (const [path, text] of smallAppManifests(name)) files.set(`${name}/${path}`, text);
  }
  const repoURL = env.repoWith('tick-fleet', 'apps', files);
  const namespace = 'tick';
  await env.createNamespace(namespace);
  const dynamo = await startDynamo();
  const worker = async (phase: 'sync' | 'tick') => {
    const run = await runOk(
      NODE,
      [
        join(repoRoot, 'bench', 'tick-worker.ts'),
        JSON.stringify({
          phase,
          apps: APPS,
          concurrency: CONCURRENCY,
          repoURL,
          namespace,
          kubeconfig: env.cluster.kubeconfig,
          kubeServer: env.cluster.server,
          dynamoEndpoint: dynamo.endpoint,
          tableName: dynamo.tableName,
          cacheDir: join(env.dir, 'tick-cache'),
        }),
      ],
      { measureRss: true },
    );
    const report = JSON.parse(run.stdout) as WorkerReport;
    if (report.failed)
      throw new Error(`${phase}: ${report.failed} apps failed: ${report.failures.join('; ')}`);
    return { report, peakRssMb: run.peakRssMb };
  };
  try {
    const sync = await worker('sync');
    env.log(`tick-${APPS}: first sync ${sync.report.seconds.toFixed(1)} s`);
    // The first tick after a sync records the resourceVersions the controllers
    // wrote since (Deployments' status); the steady state is the tick after it.
    const first = await worker('tick');
    const firstWrites = Object.entries(first.report.dynamo)
      .filter(([command]) => WRITES.has(command))
      .reduce((total, [, c]) => total + c.requests, 0);
    env.log(
      `tick-${APPS}: first tick after the sync ${first.report.seconds.toFixed(1)} s, ${firstWrites} DynamoDB writes`,
    );
    const { report, peakRssMb } = await worker('tick');
    const kubeRequests = Object.values(report.kube).reduce((a, b) => a + b, 0);
    const sum = (write: boolean, field: 'requests' | 'units') =>
      Object.entries(report.dynamo)
        .filter(([command]) => WRITES.has(command) === write)
        .reduce((total, [, c]) => total + c[field], 0);
    const [reads, writes] = [sum(false, 'requests'), sum(true, 'requests')];
    const [rru, wru] = [sum(false, 'units'), sum(true, 'units')];
    const lambdaSecondsPerApp = (report.seconds * CONCURRENCY) / APPS;
    const perTick =
      lambdaSecondsPerApp * LAMBDA_GB * USD_PER_GB_S +
      (rru / APPS) * USD_PER_RRU +
      (wru / APPS) * USD_PER_WRU;
    const usdPerAppMonth = perTick * TICKS_PER_MONTH;
    env.log(
      `tick-${APPS}: ${report.seconds.toFixed(1)} s, ${kubeRequests} Kubernetes requests, ` +
        `DynamoDB ${reads} reads (${rru} RRU) / ${writes} writes (${wru} WRU), ` +
        `$${usdPerAppMonth.toFixed(5)} per app-month; ${JSON.stringify({ kube: report.kube, dynamo: report.dynamo })}`,
    );
    return {
      name: `tick-${APPS}`,
      ours_s: round(report.seconds),
      peak_rss_mb: round(peakRssMb ?? 0, 0),
      target: '< 60 s',
      met: report.seconds < 60,
      notes:
        `One scheduler tick of ${APPS} synced, unchanged apps × 4 objects (the many-apps fleet), concurrency ${CONCURRENCY}: ` +
        `runApplication, mode 'auto', schedule trigger (a drift check at the synced revision), in a fresh process, the second tick after the first sync (the first records the resourceVersions the controllers wrote meanwhile: first_tick_after_sync; disk caches warm). ` +
        `Kubernetes requests counted on Node's http client diagnostics channel (to the API server only, retries included); ` +
        `DynamoDB requests and units by a counting middleware on the bench's client, units as dynalite returns them (ReturnConsumedCapacity TOTAL). ` +
        `Cost per app-month = ${TICKS_PER_MONTH} ticks × (wall_s × ${CONCURRENCY} / ${APPS} s × ${LAMBDA_GB} GB × $${USD_PER_GB_S}/GB-s [Lambda arm64] ` +
        `+ RRU/app × $${USD_PER_RRU * 1e6}/M + WRU/app × $${USD_PER_WRU * 1e6}/M [DynamoDB on-demand]); Lambda requests ($0.20/M), SQS, the scheduler and logs not included`,
      details: {
        wall_s: round(report.seconds),
        kube_requests: kubeRequests,
        dynamo_reads: reads,
        dynamo_writes: writes,
        dynamo_rru: round(rru, 1),
        dynamo_wru: round(wru, 1),
        usd_per_app_month: round(usdPerAppMonth, 6),
        lambda_s_per_app: round(lambdaSecondsPerApp),
        first_sync_s: round(sync.report.seconds),
        first_tick_after_sync: {
          wall_s: round(first.report.seconds),
          dynamo_writes: firstWrites,
          kube_requests: Object.values(first.report.kube).reduce((a, b) => a + b, 0),
        },
        kube_by_request: report.kube,
        dynamo_by_command: report.dynamo,
      },
    };
  } finally {
    await dynamo.stop();
  }
}
