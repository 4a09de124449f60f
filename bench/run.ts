import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { app30Cases } from './cases/app30.ts';
import { applyCase, largeApplyCase, type ApplyTarget } from './cases/apply.ts';
import { bundleCases } from './cases/bundles.ts';
import { chartCase } from './cases/chart.ts';
import { costCheckCase } from './cases/cost-check.ts';
import { manyAppsCase } from './cases/many-apps.ts';
import { noopCase, settle, type NoopTarget } from './cases/noop.ts';
import { repairCase } from './cases/repair.ts';
import { sourceCases } from './cases/source.ts';
import { tickCase } from './cases/tick.ts';
import { uiCases } from './cases/ui.ts';
import { startBenchEnv } from './env.ts';
import { startLinks } from './links.ts';
import { describeMachine } from './machine.ts';
import { NODE, repoRoot, runOk } from './measure.ts';
import { prepareFluxPeer } from './peers/check.ts';
import { table } from './report.ts';
import type { CaseResult } from './result.ts';

// `npm run bench` runs everything and writes bench/results.json.
// `npm run bench -- --only=bundles,source` runs some groups and writes nothing
// (noop and repair need apply, which then runs too); with `--merge` their
// cases replace those of the same name in bench/results.json.
const GROUPS = [
  'apply',
  'noop',
  'repair',
  'app-30',
  'cost',
  'apply-10000',
  'source',
  'chart',
  'many-apps',
  'tick',
  'ui',
  'bundles',
] as const;
const only = process.argv
  .find((a) => a.startsWith('--only='))
  ?.slice('--only='.length)
  .split(',');
const selected = new Set(only ?? GROUPS);
const wants = (group: (typeof GROUPS)[number]): boolean => selected.has(group);

/** The targets by link: what each apply and no-op must reach against the peers. */
const APPLY_TARGETS: Record<string, ApplyTarget | undefined> = {
  loopback: { kubectl: 1.3, rssMb: 120 },
  rtt20: { kubectl: 5, flux: 2 },
};
const NOOP_TARGETS: Record<string, NoopTarget> = {
  loopback: { kubectl: 20, flux: 8, underS: 0.5 },
  rtt2: { kubectl: 1 },
  rtt20: { kubectl: 30 },
};

const log = (message: string): void => console.error(`[bench] ${message}`);
const machine = await describeMachine();
log('building the CLI and function bundles (npm run build)');
await runOk(NODE, [join(repoRoot, 'scripts', 'build.ts')]);
const peers = wants('apply') || wants('noop') || wants('repair');

const cases: CaseResult[] = [];
const env = await startBenchEnv(log);
const links = await startLinks(env.cluster, [2, 20]);
// Ctrl-C still stops the servers; the harness only cleans up on a normal exit.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(
    signal,
    () => void Promise.all([links.stop(), env.stop()]).finally(() => process.exit(130)),
  );
}
const rtt2 = links.all.find((l) => l.name === 'rtt2')!;
try {
  if (peers) {
    await prepareFluxPeer(env);
    cases.push((await applyCase(env, links.all[0]!, 100, 3)).result);
    for (const link of links.all) {
      const reps = link.rttMs >= 20 ? 2 : 3;
      const { result, last } = await applyCase(env, link, 1000, reps, APPLY_TARGETS[link.name]);
      cases.push(result);
      if (!wants('noop') && !wants('repair')) continue;
      log(`waiting for the controllers to settle the Deployments (${link.name})`);
      await settle(env, last);
      if (wants('noop'))
        cases.push(
          await noopCase(
            env,
            last,
            { ours: 5, kubectl: reps, flux: reps },
            NOOP_TARGETS[link.name]!,
          ),
        );
      if (wants('repair')) cases.push(await repairCase(env, last, reps));
    }
  }
  if (wants('app-30')) cases.push(...(await app30Cases(env, 3)));
  if (wants('cost')) {
    cases.push(await costCheckCase(env, links, rtt2, 1000, false, 0.03));
    cases.push(await costCheckCase(env, links, rtt2, 20, false, 0.01));
    cases.push(await costCheckCase(env, links, rtt2, 1000, true));
    cases.push(await costCheckCase(env, links, rtt2, 20, true));
  }
  if (wants('apply-10000')) cases.push(await largeApplyCase(env, links.all[0]!, 10_000, 450));
  if (wants('source')) cases.push(...(await sourceCases(env, 3)));
  if (wants('chart')) cases.push(await chartCase(env, 3));
  if (wants('many-apps')) cases.push(await manyAppsCase(env));
  if (wants('tick')) cases.push(await tickCase(env));
  if (wants('ui')) cases.push(...(await uiCases(env)));
} finally {
  await links.stop();
  await env.stop();
}
if (wants('bundles')) cases.push(...(await bundleCases(5)));
attachCheckUnits(cases);

console.log(table(cases));
const file = join(repoRoot, 'bench', 'results.json');
if (!only) {
  writeFileSync(file, `${JSON.stringify({ machine, cases }, null, 2)}\n`);
  log(`wrote ${file}`);
} else if (process.argv.includes('--merge')) {
  const stored = JSON.parse(readFileSync(file, 'utf8')) as { cases: CaseResult[] };
  const fresh = new Map(cases.map((c) => [c.name, c]));
  const merged = stored.cases.map((c) => fresh.get(c.name) ?? c);
  for (const c of cases) if (!stored.cases.some((s) => s.name === c.name)) merged.push(c);
  writeFileSync(file, `${JSON.stringify({ machine, cases: merged }, null, 2)}\n`);
  log(`merged ${cases.length} cases into ${file}`);
}
const missed = cases.filter((c) => c.met === false).map((c) => c.name);
if (missed.length) {
  log(`targets missed: ${missed.join(', ')}`);
  process.exitCode = 1;
}

/**
 * noop-1000 carries the DynamoDB units of one scheduled check of 1,000
 * objects (measured by cost-check-1000: the CLI's diff keeps its state in a
 * local file, not DynamoDB), and its target includes none written.
 */
function attachCheckUnits(all: CaseResult[]): void {
  const noop = all.find((c) => c.name === 'noop-1000');
  const check = all.find((c) => c.name === 'cost-check-1000');
  if (!noop || !check) return;
  noop.dynamo_read_units = check.dynamo_read_units;
  noop.dynamo_write_units = check.dynamo_write_units;
  noop.target = `${noop.target}, 0 DynamoDB write units per check`;
  noop.met = noop.met !== false && check.dynamo_write_units === 0;
}
