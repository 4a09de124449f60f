import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes, createHash } from 'node:crypto';
import semver from 'semver';
import type { SourceOptions } from '../fetch-source.ts';
import { repoCacheDir } from '../repo-cache-dir.ts';
import { OciClient, type OciManifest } from './client.ts';
import { extractLayer } from './extract.ts';
import { ociRepository } from './reference.ts';
import { isDigest } from './spec.ts';

export const HELM_CHART_LAYER = 'application/vnd.cncf.helm.chart.content.v1.tar+gzip';
export const FLUX_CONTENT_LAYER = 'application/vnd.cncf.flux.content.v1.tar+gzip';

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_FETCH_BYTES = 512 * 1024 * 1024;

export function ociClient(repoURL: string, chart: string | undefined, options: SourceOptions) {
  return new OciClient(ociRepository(repoURL, chart), {
    auth: options.auth,
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    maxBlobBytes: options.limits?.maxFetchBytes ?? DEFAULT_MAX_FETCH_BYTES,
  });
}

/**
 * The tag (or digest) `targetRevision` names among the repository's tags:
 * a digest as is, an exact tag, else the highest semver tag in the range
 * (Helm writes `+` in versions as `_` in tags).
 */
export async function resolveTag(
  client: OciClient,
  targetRevision: string,
): Promise<{ reference: string; version: string | undefined }> {
  if (isDigest(targetRevision)) return { reference: targetRevision, version: undefined };
  const tags = await client.tags();
  if (tags.includes(targetRevision))
    return {
      reference: targetRevision,
      version: semver.valid(targetRevision.replace(/_/g, '+')) ?? undefined,
    };
  const versions = new Map(
    tags.flatMap((t) => {
      const v = semver.valid(t.replace(/_/g, '+'));
      return v ? [[v, t] as const] : [];
    }),
  );
  const best = semver.validRange(targetRevision)
    ? semver.maxSatisfying([...versions.keys()], targetRevision)
    : null;
  if (!best) {
    const newest = semver.rsort([...versions.keys()])[0];
    throw new Error(
      `no tag matches ${targetRevision} (${tags.length} tags; newest version: ${newest ?? 'none'})`,
    );
  }
  return { reference: versions.get(best)!, version: best };
}

/** The layer a source reads: the one of `mediaType`, else (artifacts) the first. */
export function layerOf(manifest: OciManifest, mediaType: string, required: boolean) {
  const layer =
    manifest.layers.find((l) => l.mediaType === mediaType) ??
    (required ? undefined : manifest.layers[0]);
  if (!layer)
    throw new Error(
      `manifest ${manifest.digest} has no ${mediaType} layer (it has: ${manifest.layers.map((l) => l.mediaType).join(', ') || 'none'})`,
    );
  return layer;
}

/** A blob from the cache (by digest), or downloaded, checked and cached. */
export async function cachedBlob(
  client: OciClient,
  digest: string,
  dir: string,
): Promise<{ file: string; bytes: Buffer; downloaded: boolean }> {
  const hex = digest.replace(/^sha256:/, '');
  const file = join(dir, `${hex}.tgz`);
  const cached = await readFile(file).catch(() => undefined);
  if (cached && createHash('sha256').update(cached).digest('hex') === hex)
    return { file, bytes: cached, downloaded: false };
  const bytes = await client.blob(digest);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const temp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(temp, bytes, { mode: 0o600 });
    await rename(temp, file);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
  return { file, bytes, downloaded: true };
}

/** A Helm chart in a registry (`helm push`): version, archive, digest. */
export async function fetchOciChart(
  repoURL: string,
  chart: string,
  revision: string,
  options: SourceOptions,
) {
  const client = ociClient(repoURL, chart, options);
  const { reference, version } = await resolveTag(client, revision);
  const manifest = await client.manifest(reference);
  const layer = layerOf(manifest, HELM_CHART_LAYER, true);
  const blob = await cachedBlob(
    client,
    layer.digest,
    join(options.cacheDir, 'charts', repoCacheDir(repoURL, chart)),
  );
  return {
    revision: version ?? manifest.digest,
    archive: blob.file,
    digest: layer.digest.replace(/^sha256:/, ''),
    downloaded: blob.downloaded,
  };
}

/** What an artifact's tag or range names now: its manifest digest (a moved tag is a new revision). */
export async function resolveArtifact(
  repoURL: string,
  targetRevision: string,
  options: SourceOptions,
) {
  const client = ociClient(repoURL, undefined, options);
  const { reference } = await resolveTag(client, targetRevision);
  const manifest = await client.manifest(reference);
  return { client, manifest };
}

/** A plain-manifest artifact unpacked once per layer digest; the folder to render. */
export async function fetchArtifact(
  repoURL: string,
  revision: string,
  options: SourceOptions & { maxFileBytes: number },
) {
  const { client, manifest } = await resolveArtifact(repoURL, revision, options);
  const layer = layerOf(manifest, FLUX_CONTENT_LAYER, false);
  const blob = await cachedBlob(
    client,
    layer.digest,
    join(options.cacheDir, 'oci', 'layers', repoCacheDir(repoURL)),
  );
  const dir = join(
    options.cacheDir,
    'oci',
    'trees',
    repoCacheDir(repoURL),
    layer.digest.replace(/^sha256:/, ''),
  );
  const { skipped } = await extractLayer(blob.bytes, dir, {
    maxFileBytes: options.maxFileBytes,
    maxTotalBytes: options.limits?.maxFetchBytes ?? DEFAULT_MAX_FETCH_BYTES,
    maxEntries: 100_000,
  });
  return {
    revision: manifest.digest,
    dir,
    skipped,
    downloaded: blob.downloaded,
    bytes: layer.size,
  };
}
