import semver from 'semver';
import * as z from 'zod';
import { isDigest, OciURL } from '../oci/spec.ts';

/**
 * A chart from a Helm repository (Argo CD's `chart` source): the index at
 * `repoURL` names the versions, `targetRevision` picks one, exactly or as a
 * semver range (`^1.2`, `~1.2.3`, `*`).
 */
export const ChartSource = z.strictObject({
  /** A Helm repository (http/https), or a registry namespace (`oci://registry/charts`). */
  repoURL: z.union(
    [
      z.url({ protocol: /^https?$/ }).refine((value) => {
        const url = URL.parse(value);
        return !url || (url.username === '' && url.password === '');
      }, 'repoURL must not embed credentials: specs are stored and logged'),
      OciURL,
    ],
    { error: 'repoURL of a chart must be an http(s):// Helm repository or an oci:// registry' },
  ),
  chart: z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9._]*[a-z0-9])?$/i, 'chart must be a chart name such as ingress-nginx')
    .max(250),
  /** An exact version, or a semver range; `*` (the default) is the newest release. */
  targetRevision: z
    .string()
    .default('*')
    .refine(
      (v) => semver.valid(v) !== null || semver.validRange(v) !== null || isDigest(v),
      'targetRevision of a chart must be a version (1.2.3), a semver range (^1.2, ~1.2.0, *) or, in a registry, a digest (sha256:...)',
    ),
  /** Charts have no path: the chart is the archive's one top folder. */
  path: z.literal('.').default('.'),
});

export type ChartSource = z.output<typeof ChartSource>;

/** Whether a source is a Helm repository chart rather than a Git folder. */
export function isChartSource(source: { repoURL: string } & object): source is ChartSource {
  return 'chart' in source;
}

/** A version (or, in a registry, a digest) a chart revision pins: history, rollback. */
export function isExactVersion(revision: string): boolean {
  return semver.valid(revision) === revision || isDigest(revision);
}

export function isOciChart(source: ChartSource): boolean {
  return source.repoURL.startsWith('oci://');
}
