import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyCase } from './cases/apply.ts';
import { bundleCases } from './cases/bundles.ts';
import { chartCase } from './cases/chart.ts';
import { manyAppsCase } from './cases/many-apps.ts';
import { noopCase, settle } from './cases/noop.ts';
import { repairCase } from './cases/repair.ts';
import { sourceCases } from './cases/source.ts';
import { tickCase } from './cases/tick.ts';
import { startBenchEnv } from './env.ts';
import { describeMachine } from './machine.ts';
import { NODE, repoRoot, runOk } from './measure.ts';
import { table } from './report.ts';
import type { CaseResult } from './result.ts';

// `npm run bench` runs everything and writes bench/results.json.
// `npm run bench -- --only=bundles,source` runs some groups and writes nothing
// (noop and repair need apply, which then runs too).
const GROUPS = [
  'apply',
  'noop',
  'repair',
  'source',
  'chart',
  'many-apps',
  'tick',
  'bundles',
] as const;
const only = process.argv
  .find((a) => a.startsWith('--only='))
  ?.slice('--only='.length)
  .split(',');
const selected = new Set(only ?? GROUPS);
const wants = (group: (typeof GROUPS)[number]): boolean => selected.has(group);

const log = (message: string): void => console.error(`[bench] ${message}`);
const machine = await describeMachine();
log('building the CLI and function bundles (npm run build)');
await runOk(NODE, [join(repoRoot, 'scripts', 'build.ts')]);

const cases: CaseResult[] = [];
const env = await startBenchEnv(log);
// Ctrl-C still stops the servers; the harness only cleans up on a normal exit.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void env.stop().finally(() => process.exit(130)));
}
try {
  if (wants('apply') || wants('noop') || wants('repair')) {
    cases.push((await applyCase(env, 100, 3)).result);
    const { result, last } = await applyCase(env, 1000, 3);
    cases.push(result);
    if (wants('noop') || wants('repair')) {
      log('waiting for the controllers to settle the Deployments');
      await settle(env, last);
    }
    if (wants('noop')) cases.push(await noopCase(env, last, { ours: 5, kubectl: 3 }));
    if (wants('repair')) cases.push(await repairCase(env, last, 3));
  }
  if (wants('source')) cases.push(...(await sourceCases(env, 3)));
  if (wants('chart')) cases.push(await chartCase(env, 3));
  if (wants('many-apps')) cases.push(await manyAppsCase(env));
  if (wants('tick')) cases.push(await tickCase(env));
} finally {
  await env.stop();
}
if (wants('bundles')) cases.push(...(await bundleCases(5)));

console.log(table(cases));
if (!only) {
  const file = join(repoRoot, 'bench', 'results.json');
  writeFileSync(file, `${JSON.stringify({ machine, cases }, null, 2)}\n`);
  log(`wrote ${file}`);
}
const missed = cases.filter((c) => c.met === false).map((c) => c.name);
if (missed.length) {
  log(`targets missed: ${missed.join(', ')}`);
  process.exitCode = 1;
}
