import * as z from 'zod';
import { ChartSource, isChartSource, isExactVersion } from './chart/spec.ts';
import { isFullSha, SourceSpec } from './spec.ts';

export { ChartSource, isChartSource };

/**
 * An application's source: a Git folder, or (with `chart`) a chart from a
 * Helm repository. Told apart by `chart`, so each kind reports its own
 * errors rather than a union's "invalid input". Schema only: the clients
 * that fetch each kind live in app-source.ts, out of bundles that only
 * validate definitions (webhook, scheduler, API).
 */
export const AppSource = z.unknown().transform((value, ctx): SourceSpec | ChartSource => {
  const chart = typeof value === 'object' && value !== null && 'chart' in value;
  const parsed = (chart ? ChartSource : SourceSpec).safeParse(value);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) ctx.addIssue({ ...issue, code: 'custom', input: value });
  return z.NEVER;
});

export type AppSource = SourceSpec | ChartSource;
export type AppSourceInput = z.input<typeof SourceSpec> | z.input<typeof ChartSource>;

/** Whether a revision names one immutable thing (a commit, a chart version) rather than a ref or range. */
export function isPinnedRevision(source: AppSource, revision: string): boolean {
  return isChartSource(source) ? isExactVersion(revision) : isFullSha(revision);
}
