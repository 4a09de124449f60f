import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';
import { pipeline, Readable, Transform } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { extract as untar } from 'tar-stream';

export interface ExtractLimits {
  maxFileBytes: number;
  /** All files together, uncompressed: a small gzip can inflate to gigabytes. */
  maxTotalBytes: number;
  maxEntries: number;
}

/**
 * Unpacks a tar.gz layer into `dest` (made whole, then renamed into place),
 * as Flux's untar does: regular files and folders only, every name inside
 * the folder, links skipped, sizes bounded while reading. Returns what it
 * left out, to say so when a render misses it.
 */
export async function extractLayer(
  tarGz: Buffer,
  dest: string,
  limits: ExtractLimits,
): Promise<{ skipped: string[] }> {
  if (await stat(dest).catch(() => undefined)) return { skipped: [] };
  const temp = `${dest}.${randomBytes(4).toString('hex')}.tmp`;
  const skipped: string[] = [];
  try {
    await unpack(tarGz, temp, limits, skipped);
    await mkdir(dirname(dest), { recursive: true, mode: 0o700 });
    await rename(temp, dest).catch(async (err: NodeJS.ErrnoException) => {
      // Another reconcile unpacked the same digest first: its copy is as good.
      if (err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') throw err;
      await rm(temp, { recursive: true, force: true });
    });
    return { skipped };
  } catch (err) {
    await rm(temp, { recursive: true, force: true });
    throw err;
  }
}

async function unpack(tarGz: Buffer, root: string, limits: ExtractLimits, skipped: string[]) {
  await mkdir(root, { recursive: true, mode: 0o700 });
  const entries = untar();
  // Links, folders and padding inflate too without counting as file bytes.
  const inflateLimit = limits.maxTotalBytes + limits.maxEntries * 1024 + 1024 * 1024;
  // pipeline, not pipe: a corrupt gzip or the cap must end the loop below with its error.
  pipeline(Readable.from([tarGz]), createGunzip(), capped(inflateLimit), entries, (err) => {
    if (err) entries.destroy(err);
  });
  let total = 0;
  let count = 0;
  for await (const entry of entries) {
    const { name, type, size = 0 } = entry.header;
    if (++count > limits.maxEntries)
      throw new Error(`the archive has more than ${limits.maxEntries} entries`);
    const path = safeName(name);
    if (type === 'directory') {
      await mkdir(join(root, path), { recursive: true, mode: 0o700 });
      entry.resume();
      continue;
    }
    if (type === 'symlink' || type === 'link') {
      skipped.push(`${name} (a link)`);
      entry.resume();
      continue;
    }
    if (type !== 'file')
      throw new Error(`${name}: ${type} entries are refused; only files and folders`);
    if (size > limits.maxFileBytes)
      throw new Error(
        `${name}: ${size} bytes, over the limit of ${limits.maxFileBytes} (spec.limits.maxFileBytes)`,
      );
    total += size;
    if (total > limits.maxTotalBytes)
      throw new Error(
        `the archive unpacks to more than ${limits.maxTotalBytes} bytes (spec.limits.maxFetchBytes)`,
      );
    const chunks: Buffer[] = [];
    for await (const chunk of entry) chunks.push(chunk as Buffer);
    await mkdir(join(root, dirname(path)), { recursive: true, mode: 0o700 });
    await writeFile(join(root, path), Buffer.concat(chunks), { mode: 0o600, flag: 'wx' });
  }
}

/** Fails the stream once more than `limit` bytes have passed: the whole inflated tar is bounded. */
function capped(limit: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.length;
      if (seen > limit)
        done(new Error(`the archive inflates to more than ${limit} bytes; refused`));
      else done(null, chunk);
    },
  });
}

/** A tar name as a path inside the folder, or an error naming it. */
function safeName(name: string): string {
  if (name.includes('\0')) throw new Error('an entry name contains NUL');
  const normal = posix.normalize(name.replace(/^(\.\/)+/, ''));
  if (posix.isAbsolute(name) || normal === '..' || normal.startsWith('../'))
    throw new Error(`${name}: the entry would land outside the artifact; refused`);
  return normal === '.' ? '' : normal;
}
