import type { AppSource } from './app-source-spec.ts';
import { fetchChart, resolveChartVersion, type ChartResult } from './chart/fetch-chart.ts';
import { isChartSource } from './chart/spec.ts';
import { fetchArtifact, resolveArtifact } from './oci/fetch-oci.ts';
import { isOciArtifactSource } from './oci/spec.ts';
import type { SourceOptions } from './fetch-source.ts';
import { resolveRevision } from './resolve-revision.ts';

export { fetchArtifact, fetchChart, isChartSource, isOciArtifactSource, type ChartResult };

/** What `targetRevision` names now: a commit SHA, a chart version, an artifact's manifest digest. */
export async function resolveAppRevision(
  source: AppSource,
  options: SourceOptions,
): Promise<{ revision: string }> {
  if (isChartSource(source)) return resolveChartVersion(source, options);
  if (isOciArtifactSource(source)) {
    try {
      const { manifest } = await resolveArtifact(source.repoURL, source.targetRevision, options);
      return { revision: manifest.digest };
    } catch (err) {
      throw new Error(
        `artifact ${source.repoURL} ${source.targetRevision}: ${(err as Error).message}`,
        { cause: err },
      );
    }
  }
  return resolveRevision(source, options);
}
