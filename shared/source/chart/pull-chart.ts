import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { chartGet, type ChartHttpOptions } from './http.ts';
import type { IndexedChart } from './index-file.ts';
import { repoCacheDir } from '../repo-cache-dir.ts';

export interface PulledChart {
  /** The verified .tgz in the cache, named by its digest. */
  archive: string;
  digest: string;
  /** False when the cache already held these bytes: nothing was downloaded. */
  downloaded: boolean;
}

export interface PullOptions extends Omit<ChartHttpOptions, 'scope' | 'headers'> {
  cacheDir: string;
}

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/**
 * The chart's archive, checked against the digest its index gives and
 * cached by that digest, so an unchanged version is never downloaded twice
 * and a repository that serves other bytes than it indexed is refused.
 */
export async function pullChart(
  repoURL: string,
  entry: IndexedChart,
  options: PullOptions,
): Promise<PulledChart> {
  const digest = entry.digest?.replace(/^sha256:/, '').toLowerCase();
  if (!digest || !/^[0-9a-f]{64}$/.test(digest))
    throw new ChartPullError(
      `${entry.name} ${entry.version}: the index gives no sha256 digest, so the download could not be checked; refused`,
    );
  const dir = join(options.cacheDir, 'charts', repoCacheDir(repoURL, entry.name));
  const archive = join(dir, `${digest}.tgz`);
  const cached = await readFile(archive).catch(() => undefined);
  if (cached && sha256(cached) === digest) return { archive, digest, downloaded: false };
  const first = entry.urls[0];
  if (!first) throw new ChartPullError(`${entry.name} ${entry.version}: the index gives no URL`);
  const url = new URL(first, repoURL.endsWith('/') ? repoURL : `${repoURL}/`).toString();
  const response = await chartGet(url, { ...options, scope: repoURL });
  if (response.status !== 200)
    throw new ChartPullError(
      `${entry.name} ${entry.version}: ${shown(url)}: HTTP ${response.status}`,
      response.status,
    );
  const actual = sha256(response.body);
  if (actual !== digest)
    throw new ChartPullError(
      `${entry.name} ${entry.version}: ${shown(url)} has sha256 ${actual}, the index says ${digest}; refused`,
    );
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // Written whole and renamed, so a concurrent reader never sees half an archive.
  const temp = `${archive}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(temp, response.body, { mode: 0o600 });
    await rename(temp, archive);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
  return { archive, digest, downloaded: true };
}

/** A URL as errors show it: without a query, which may carry a token. */
function shown(url: string): string {
  const u = new URL(url);
  return `${u.origin}${u.pathname}`;
}

export class ChartPullError extends Error {
  readonly status: number | undefined;
  constructor(message: string, status?: number) {
    super(message);
    this.name = 'ChartPullError';
    this.status = status;
  }
}
