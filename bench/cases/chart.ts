import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fetchChart } from '../../shared/source/app-source.ts';
import { ChartSource } from '../../shared/source/chart/spec.ts';
import { forgetIndexes } from '../../shared/source/chart/index-file.ts';
import { chartFiles, startHelmRepo } from '../../test/harness/helm-repo.ts';
import { toolPath } from '../../test/harness/tools.ts';
import type { BenchEnv } from '../env.ts';
import { median, runOk } from '../measure.ts';
import { compared, type CaseResult } from '../result.ts';

/**
 * chart-unchanged: the second reconcile of an application whose repository
 * chart did not change. Ours reads the index (as a new tick would) and finds
 * the archive in its cache by digest; the baseline is `helm pull` of the same
 * version, which downloads it every time. Target: no chart download.
 */
export async function chartCase(env: BenchEnv, repetitions: number): Promise<CaseResult> {
  const repo = await startHelmRepo();
  try {
    // A chart of some size: 200 templates.
    const extra: Record<string, string> = {};
    for (let i = 0; i < 200; i++)
      extra[`templates/cm-${i}.yaml`] =
        `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: cm-${i} }\ndata: { i: "${i}" }\n`;
    await repo.publish(chartFiles('bench-chart', '1.0.0', extra));
    const source = ChartSource.parse({
      repoURL: repo.url,
      chart: 'bench-chart',
      targetRevision: '^1.0',
    });
    const cacheDir = mkdtempSync(join(env.dir, 'chart-cache-'));
    const options = { cacheDir };
    await fetchChart(source, source.targetRevision, options);
    const downloads = () => repo.requests.filter((r) => r.kind === 'chart').length;
    const before = downloads();
    const ours: number[] = [];
    for (let rep = 0; rep < repetitions; rep++) {
      forgetIndexes();
      const started = performance.now();
      await fetchChart(source, source.targetRevision, options);
      ours.push((performance.now() - started) / 1000);
    }
    const downloaded = downloads() - before;
    const helm: number[] = [];
    for (let rep = 0; rep < repetitions; rep++) {
      const dest = mkdtempSync(join(env.dir, 'helm-pull-'));
      const home = {
        HELM_CACHE_HOME: join(dest, 'c'),
        HELM_CONFIG_HOME: join(dest, 'g'),
        HELM_DATA_HOME: join(dest, 'd'),
      };
      helm.push(
        (
          await runOk(
            toolPath('helm'),
            [
              'pull',
              'bench-chart',
              '--repo',
              repo.url,
              '--version',
              '1.0.0',
              '--destination',
              dest,
            ],
            {
              env: home,
            },
          )
        ).seconds,
      );
      rmSync(dest, { recursive: true, force: true });
    }
    const result = compared({
      name: 'chart-unchanged',
      ours_s: median(ours),
      baseline: 'helm pull (downloads every time)',
      baseline_s: median(helm),
      runs: repetitions,
      target: 'no chart download',
      notes: `chart archives downloaded on ${repetitions} unchanged reconciles: ${downloaded} (each still reads the index, revalidated by ETag)`,
    });
    result.met = downloaded === 0;
    return result;
  } finally {
    await repo.stop();
  }
}
