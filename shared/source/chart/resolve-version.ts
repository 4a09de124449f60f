import semver from 'semver';
import type { ChartIndex, IndexedChart } from './index-file.ts';

/**
 * The version a chart's `targetRevision` names: an exact match first (as
 * Helm does), otherwise the highest release satisfying it as a semver range.
 * Prereleases count only when the range names one (npm semver's rule).
 */
export function resolveVersion(
  index: ChartIndex,
  chart: string,
  targetRevision: string,
): IndexedChart | { problem: string } {
  const versions = index.get(chart);
  if (!versions?.length) {
    const known = [...index.keys()].slice(0, 10).join(', ');
    return {
      problem: `chart ${chart} is not in the repository's index (it has: ${known || 'no charts'})`,
    };
  }
  const exact = versions.find((v) => v.version === targetRevision);
  if (exact) return exact;
  const valid = versions.filter((v) => semver.valid(v.version) !== null);
  const best = semver.maxSatisfying(
    valid.map((v) => v.version),
    targetRevision,
  );
  if (best === null)
    return {
      problem: `no version of chart ${chart} matches ${targetRevision} (newest: ${newest(valid) ?? 'none'})`,
    };
  return valid.find((v) => v.version === best)!;
}

function newest(versions: IndexedChart[]): string | undefined {
  return semver.rsort(versions.map((v) => v.version))[0];
}
