import type { AppSource } from './app-source-spec.ts';
import { fetchChart, resolveChartVersion, type ChartResult } from './chart/fetch-chart.ts';
import { isChartSource } from './chart/spec.ts';
import type { SourceOptions } from './fetch-source.ts';
import { resolveRevision } from './resolve-revision.ts';

export { fetchChart, isChartSource, type ChartResult };

/** What `targetRevision` names now: a commit SHA, or a chart version. */
export async function resolveAppRevision(
  source: AppSource,
  options: SourceOptions,
): Promise<{ revision: string }> {
  return isChartSource(source)
    ? resolveChartVersion(source, options)
    : resolveRevision(source, options);
}
