import type { SourceOptions } from '../fetch-source.ts';
import { IndexStatusError, readIndex } from './index-file.ts';
import { ChartPullError, pullChart, type PulledChart } from './pull-chart.ts';
import { OciStatusError } from '../oci/client.ts';
import { fetchOciChart, ociClient, resolveTag } from '../oci/fetch-oci.ts';
import { resolveVersion } from './resolve-version.ts';
import { isOciChart, type ChartSource } from './spec.ts';

export interface ChartResult extends PulledChart {
  /** The resolved version: the application's revision in state, history and rollback. */
  revision: string;
  durationMs: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_FETCH_BYTES = 512 * 1024 * 1024;

function httpOptions(options: SourceOptions) {
  return {
    auth: options.auth,
    maxBytes: options.limits?.maxFetchBytes ?? DEFAULT_MAX_FETCH_BYTES,
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  };
}

/** The version `targetRevision` names now: one index lookup (often none, see index-file.ts). */
export async function resolveChartVersion(
  source: ChartSource,
  options: SourceOptions,
): Promise<{ revision: string }> {
  if (isOciChart(source)) {
    try {
      const client = ociClient(source.repoURL, source.chart, options);
      const { reference, version } = await resolveTag(client, source.targetRevision);
      return { revision: version ?? reference };
    } catch (err) {
      throw chartError(source, source.targetRevision, err, options);
    }
  }
  const entry = await findEntry(source, source.targetRevision, options);
  return { revision: entry.version };
}

/** The chart at `revision` (a version or range): resolved, downloaded unless cached, verified. */
export async function fetchChart(
  source: ChartSource,
  revision: string,
  options: SourceOptions,
): Promise<ChartResult> {
  const started = Date.now();
  if (isOciChart(source)) {
    try {
      const pulled = await fetchOciChart(source.repoURL, source.chart, revision, options);
      return { ...pulled, durationMs: Date.now() - started };
    } catch (err) {
      throw chartError(source, revision, err, options);
    }
  }
  const entry = await findEntry(source, revision, options);
  try {
    const pulled = await pullChart(source.repoURL, entry, {
      ...httpOptions(options),
      cacheDir: options.cacheDir,
    });
    return { ...pulled, revision: entry.version, durationMs: Date.now() - started };
  } catch (err) {
    throw chartError(source, entry.version, err, options);
  }
}

async function findEntry(source: ChartSource, revision: string, options: SourceOptions) {
  let index;
  try {
    index = await readIndex(source.repoURL, httpOptions(options));
  } catch (err) {
    throw chartError(source, revision, err, options);
  }
  const found = resolveVersion(index, source.chart, revision);
  if ('problem' in found) throw new ChartSourceError(source, revision, found.problem);
  return found;
}

/** Names repository, chart and version; never a credential (URLs are shown without queries). */
function chartError(
  source: ChartSource,
  revision: string,
  err: unknown,
  options: SourceOptions,
): ChartSourceError {
  const status =
    err instanceof IndexStatusError ||
    err instanceof ChartPullError ||
    err instanceof OciStatusError
      ? err.status
      : undefined;
  if (status === 401 || status === 403)
    return new ChartSourceError(
      source,
      revision,
      `HTTP ${status}: the repository refused ${options.auth ? 'the credentials' : 'anonymous access'}${options.authHint ? ` (${options.authHint})` : ''}`,
    );
  if (err instanceof IndexStatusError && status === 404)
    return new ChartSourceError(source, revision, 'no index.yaml there: not a Helm repository');
  // fetch() fails with a TypeError whose cause says why (a refused connection, a DNS failure).
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  if (err instanceof TypeError && cause)
    return new ChartSourceError(
      source,
      revision,
      `repository unreachable (${cause.code ?? cause.message ?? 'no answer'})`,
    );
  if ((err as Error).name === 'TimeoutError')
    return new ChartSourceError(source, revision, 'repository did not answer in time');
  return new ChartSourceError(source, revision, (err as Error).message);
}

export class ChartSourceError extends Error {
  constructor(source: ChartSource, revision: string, detail: string) {
    super(`chart ${source.chart} ${revision} from ${source.repoURL}: ${detail}`);
    this.name = 'ChartSourceError';
  }
}
