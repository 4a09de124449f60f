import * as z from 'zod';
import { ChartSource, isChartSource, isExactVersion } from './chart/spec.ts';
import { isDigest, isOciArtifactSource, OciArtifactSource } from './oci/spec.ts';
import { isFullSha, SourceSpec } from './spec.ts';

export { ChartSource, isChartSource, isOciArtifactSource, OciArtifactSource };

/**
 * An application's source: a Git folder; (with `chart`) a chart from a
 * Helm repository or an OCI registry; or (an `oci://` URL without `chart`)
 * plain manifests as an OCI artifact. Told apart by those fields, so each
 * kind reports its own errors rather than a union's "invalid input". Schema only: the clients
 * that fetch each kind live in app-source.ts, out of bundles that only
 * validate definitions (webhook, scheduler, API).
 */
export const AppSource = z.unknown().transform((value, ctx): AppSource => {
  const parsed = schemaFor(value).safeParse(value);
  if (parsed.success) return parsed.data as AppSource;
  for (const issue of parsed.error.issues) ctx.addIssue({ ...issue, code: 'custom', input: value });
  return z.NEVER;
});

function schemaFor(value: unknown) {
  if (typeof value !== 'object' || value === null) return SourceSpec;
  if ('chart' in value) return ChartSource;
  const url = (value as { repoURL?: unknown }).repoURL;
  return typeof url === 'string' && url.startsWith('oci://') ? OciArtifactSource : SourceSpec;
}

export type AppSource = SourceSpec | ChartSource | OciArtifactSource;
export type AppSourceInput =
  z.input<typeof SourceSpec> | z.input<typeof ChartSource> | z.input<typeof OciArtifactSource>;

/** A Git folder: what pushes and pull requests change (charts and artifacts follow their registries). */
export function isGitSource(source: AppSource): source is SourceSpec {
  return !isChartSource(source) && !isOciArtifactSource(source);
}

/**
 * Whether a revision names one immutable thing (a commit, a chart version,
 * an artifact's manifest digest) rather than a ref, tag or range.
 */
export function isPinnedRevision(source: AppSource, revision: string): boolean {
  if (isChartSource(source)) return isExactVersion(revision);
  if (isOciArtifactSource(source)) return isDigest(revision);
  return isFullSha(revision);
}
