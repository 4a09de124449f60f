import semver from 'semver';
import * as z from 'zod';

/**
 * A chart from a Helm repository (Argo CD's `chart` source): the index at
 * `repoURL` names the versions, `targetRevision` picks one, exactly or as a
 * semver range (`^1.2`, `~1.2.3`, `*`).
 */
export const ChartSource = z.strictObject({
  repoURL: z
    .url({
      protocol: /^https?$/,
      error: 'repoURL of a chart must be an http:// or https:// Helm repository',
    })
    .refine((value) => {
      const url = URL.parse(value);
      return !url || (url.username === '' && url.password === '');
    }, 'repoURL must not embed credentials: specs are stored and logged'),
  chart: z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9._]*[a-z0-9])?$/i, 'chart must be a chart name such as ingress-nginx')
    .max(250),
  /** An exact version, or a semver range; `*` (the default) is the newest release. */
  targetRevision: z
    .string()
    .default('*')
    .refine(
      (v) => semver.valid(v) !== null || semver.validRange(v) !== null,
      'targetRevision of a chart must be a version (1.2.3) or a semver range (^1.2, ~1.2.0, *)',
    ),
  /** Charts have no path: the chart is the archive's one top folder. */
  path: z.literal('.').default('.'),
});

export type ChartSource = z.output<typeof ChartSource>;

/** Whether a source is a Helm repository chart rather than a Git folder. */
export function isChartSource(source: { repoURL: string } & object): source is ChartSource {
  return 'chart' in source;
}

/** A version a chart revision pins (history, rollback), not a range to resolve. */
export function isExactVersion(revision: string): boolean {
  return semver.valid(revision) === revision;
}
