import { join } from 'node:path';
import type { BenchEnv } from '../env.ts';
import { monorepoApp, type Manifests } from '../fixtures.ts';
import { median, NODE, repoRoot, runOk } from '../measure.ts';
import { compared, round, type CaseResult } from '../result.ts';

const APPS = 500;

interface WorkerReport {
  first_s: number;
  first_fetched: boolean;
  pack_bytes: number;
  second_s: number;
  second_fetched: boolean;
}

/**
 * source-first and source-unchanged: one app of a 500-app × 40-file
 * monorepo. Ours is fetchSource (head lookup, shallow fetch, checkout of the
 * app's path) in its own process; the baseline is native git: `git clone
 * --depth 1` for the first reconcile, and for the second `git fetch --depth
 * 1` in that clone, the cheapest thing native git can do when nothing changed.
 */
export async function sourceCases(env: BenchEnv, repetitions: number): Promise<CaseResult[]> {
  const files: Manifests = new Map();
  for (let app = 0; app < APPS; app++) {
    for (const [path, text] of monorepoApp(app))
      files.set(`app-${String(app).padStart(3, '0')}/${path}`, text);
  }
  const url = env.repoWith('monorepo', 'apps', files);
  const appPath = 'apps/app-250';
  env.log(`monorepo: ${files.size} files`);

  const ours: WorkerReport[] = [];
  const rss: number[] = [];
  let fetchesOnUnchanged = 0;
  const clone: number[] = [];
  const fetch: number[] = [];
  for (let rep = 1; rep <= repetitions; rep++) {
    const before = env.git.requests('monorepo').fetches;
    const worker = await runOk(
      NODE,
      [
        join(repoRoot, 'bench', 'source-worker.ts'),
        url,
        appPath,
        join(env.dir, 'source-cache', String(rep)),
      ],
      { measureRss: true },
    );
    const report = JSON.parse(worker.stdout) as WorkerReport;
    // One fetch for the first reconcile; any more came from the second.
    fetchesOnUnchanged += env.git.requests('monorepo').fetches - before - 1;
    if (report.second_fetched) fetchesOnUnchanged++;
    ours.push(report);
    if (worker.peakRssMb !== undefined) rss.push(worker.peakRssMb);

    const dir = join(env.dir, 'native', String(rep));
    clone.push(
      (
        await runOk('git', [
          'clone',
          '--quiet',
          '--depth',
          '1',
          '--single-branch',
          '--no-tags',
          url,
          dir,
        ])
      ).seconds,
    );
    fetch.push(
      (await runOk('git', ['-C', dir, 'fetch', '--quiet', '--depth', '1', 'origin', 'main']))
        .seconds,
    );
  }
  env.log(
    `source: ours first ${ours.map((r) => r.first_s).join(' ')} unchanged ${ours.map((r) => r.second_s).join(' ')}; git clone ${clone.map((s) => s.toFixed(2)).join(' ')} fetch ${fetch.map((s) => s.toFixed(2)).join(' ')}`,
  );
  const peak = round(Math.max(...rss), 0);
  const first = compared({
    name: 'source-first',
    ours_s: median(ours.map((r) => r.first_s)),
    baseline: 'git clone --depth 1',
    baseline_s: median(clone),
    peak_rss_mb: peak,
    runs: repetitions,
    notes: `${APPS} apps × 40 files (${files.size} files); ours fetches the commit (pack ${ours[0]!.pack_bytes} bytes) and writes one app's 40 files; git clone writes all ${files.size}`,
  });
  const unchanged = compared({
    name: 'source-unchanged',
    ours_s: median(ours.map((r) => r.second_s)),
    baseline: 'git fetch --depth 1 (in the existing clone)',
    baseline_s: median(fetch),
    peak_rss_mb: peak,
    runs: repetitions,
    target: 'no git fetch',
    notes: `git fetch requests the git server saw on the unchanged reconciles: ${fetchesOnUnchanged}`,
  });
  unchanged.met = fetchesOnUnchanged === 0;
  return [first, unchanged];
}
