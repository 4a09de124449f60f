import { join } from 'node:path';
import { startDynamo } from '../../test/harness/dynamodb.ts';
import { proxyGitServer, type ToxicProxy } from '../../test/harness/toxiproxy.ts';
import type { CheckMeasurement } from '../dynamo-counter.ts';
import type { BenchEnv } from '../env.ts';
import { applyManifests } from '../fixtures.ts';
import type { Link, Links } from '../links.ts';
import { median, NODE, repoRoot, runOk } from '../measure.ts';
import { CHECKS_PER_MONTH, LAMBDA_FULL_VCPU_MB, PRICES } from '../prices.ts';
import { round, type CaseResult } from '../result.ts';

const CHECKS = 7;
/** The reconciler's default memory (cdk/functions.ts), and a small one a check could run in. */
const MEMORY_MB = [2048, 512] as const;
/** Round trips added to DynamoDB (same region) and Git (a forge on the internet). */
const DYNAMO_RTT_MS = 2;
const GIT_RTT_MS = 20;

async function withLatency(proxy: ToxicProxy, rttMs: number): Promise<void> {
  for (const stream of ['upstream', 'downstream'] as const)
    await proxy.addToxic({ type: 'latency', stream, attributes: { latency: rttMs / 2 } });
}

/**
 * Lambda's bill for one check at a memory size: CPU time stretches below
 * one full vCPU (1,769 MB), waiting does not; plus the request.
 */
function lambdaUsd(check: { seconds: number; cpuSeconds: number }, memoryMb: number): number {
  const wait = Math.max(0, check.seconds - check.cpuSeconds);
  const seconds = wait + check.cpuSeconds * Math.max(1, LAMBDA_FULL_VCPU_MB / memoryMb);
  return seconds * (memoryMb / 1024) * PRICES.lambdaArmUsdPerGbSecond + PRICES.lambdaUsdPerRequest;
}

/**
 * cost-check-N: the scheduled drift check of one synced, unchanged
 * application of N objects, run as a warm reconciler does (runApplication in
 * one process, caches warm), the API server 2 ms away, DynamoDB 2 ms and Git
 * 20 ms (Toxiproxy each), priced per app-month at a 3-minute schedule from
 * the measured wall and CPU time and the consumed capacity units.
 */
export async function costCheckCase(
  env: BenchEnv,
  links: Links,
  link: Link,
  size: number,
  selfHeal: boolean,
  targetUsd?: number,
): Promise<CaseResult> {
  const name = `cost-check-${size}${selfHeal ? '-selfheal' : ''}`;
  const namespace = name;
  await env.createNamespace(namespace);
  const repoURL = env.repoWith(namespace, 'app', applyManifests(namespace, size));
  const dynamo = await startDynamo({ tableName: 'driftless' });
  const dynamoProxy = await links.toxiproxy.createProxy(
    `${name}-dynamo`,
    new URL(dynamo.endpoint).host,
  );
  await withLatency(dynamoProxy, DYNAMO_RTT_MS);
  const git = await proxyGitServer(links.toxiproxy, env.git, `${name}-git`);
  await withLatency(git.proxy, GIT_RTT_MS);
  try {
    const run = await runOk(NODE, [
      join(repoRoot, 'bench', 'check-worker.ts'),
      JSON.stringify({
        app: name,
        repoURL: repoURL.replace(env.git.url, git.url),
        namespace,
        selfHeal,
        checks: CHECKS,
        kubeconfig: link.kubeconfig,
        kubeServer: link.server,
        dynamoEndpoint: `http://${dynamoProxy.listen}`,
        tableName: dynamo.tableName,
        cacheDir: join(env.dir, 'cost-cache', name),
      }),
    ]);
    const { checks } = JSON.parse(run.stdout) as { checks: CheckMeasurement[] };
    const pick = (f: (c: CheckMeasurement) => number) => median(checks.map(f));
    const typical = { seconds: pick((c) => c.seconds), cpuSeconds: pick((c) => c.cpuSeconds) };
    const units = { rru: pick((c) => c.rru), wru: pick((c) => c.wru) };
    const dynamoUsd =
      units.rru * PRICES.dynamoUsdPerReadUnit + units.wru * PRICES.dynamoUsdPerWriteUnit;
    const perMonth = Object.fromEntries(
      MEMORY_MB.map((mb) => [
        `${mb}MB`,
        round((lambdaUsd(typical, mb) + dynamoUsd) * CHECKS_PER_MONTH, 4),
      ]),
    );
    const usd = perMonth[`${MEMORY_MB[0]}MB`]!;
    const best = Math.min(...Object.values(perMonth));
    env.log(
      `${name}: ${JSON.stringify({ typical, units, perMonth, checks: checks.map((c) => round(c.seconds)) })}`,
    );
    return {
      name,
      ours_s: round(typical.seconds),
      runs: CHECKS,
      usd_per_app_month: usd,
      dynamo_read_units: units.rru,
      dynamo_write_units: units.wru,
      ...(targetUsd !== undefined
        ? { target: `<= $${targetUsd} per app-month`, met: best <= targetUsd }
        : {}),
      notes:
        `${size} objects${selfHeal ? ', selfHeal on' : ''}; ${CHECKS} scheduled checks (runApplication, mode auto) in one warm process after the first sync and the checks that record the controllers' status writes; ` +
        `API server +${link.rttMs} ms, DynamoDB +${DYNAMO_RTT_MS} ms, Git +${GIT_RTT_MS} ms per round trip (Toxiproxy). ` +
        `Per check: Lambda = (wall − CPU) + CPU × max(1, ${LAMBDA_FULL_VCPU_MB} MB / memory), × memory × $${PRICES.lambdaArmUsdPerGbSecond}/GB-s (arm64) + $0.20/M requests; ` +
        `DynamoDB = RRU × $${PRICES.dynamoUsdPerReadUnit * 1e6}/M + WRU × $${PRICES.dynamoUsdPerWriteUnit * 1e6}/M (on-demand, units as the responses report them); × ${CHECKS_PER_MONTH} checks a month (every 3 minutes). ` +
        `usd_per_app_month is at the reconciler's default ${MEMORY_MB[0]} MB; the target is judged at the cheaper memory size`,
      details: {
        usd_per_app_month: usd,
        usd_per_app_month_by_memory: perMonth,
        wall_s: round(typical.seconds),
        cpu_s: round(typical.cpuSeconds),
        dynamo_read_units: units.rru,
        dynamo_write_units: units.wru,
        dynamo_requests: pick((c) => c.dynamoRequests),
        kube_requests: pick((c) => c.kubeRequests),
        prices: PRICES,
        checks_per_month: CHECKS_PER_MONTH,
      },
    };
  } finally {
    await dynamo.stop();
  }
}
