import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { extract, type Extract } from 'tar-stream';
import { RenderFailure } from './errors.ts';
import type { ScratchBudget } from './scratch-copy.ts';

type Entry = Extract extends AsyncIterable<infer E> ? E : never;

/** The archive is not a chart we unpack; nothing of it is used. */
export class ChartArchiveError extends RenderFailure {
  constructor(message: string) {
    super('CHART_DEPENDENCY', message);
  }
}

/**
 * An entry's path below the archive's top folder, as Helm's archive loader
 * reads names (`\` is `/`), or why it is refused: absolute, `..`, or NUL.
 */
function entryPath(name: string): { top: string; rest: string[] } | { refused: string } {
  const normal = name.replaceAll('\\', '/');
  if (normal.includes('\0')) return { refused: 'a NUL byte in its name' };
  if (normal.startsWith('/')) return { refused: 'an absolute path' };
  const parts = normal.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) return { refused: 'a path with ..' };
  if (parts.length === 0) return { refused: 'an empty name' };
  return { top: parts[0]!, rest: parts.slice(1) };
}

/** Passes bytes on until `limit`, then fails: a small archive may unpack to any size. */
function capped(limit: number, what: string): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.length;
      if (seen > limit)
        done(
          new ChartArchiveError(
            `${what} unpacks to more than ${limit} bytes (spec.limits.maxFetchBytes)`,
          ),
        );
      else done(null, chunk);
    },
  });
}

interface Unpacking {
  into: string;
  what: string;
  budget: ScratchBudget;
  top?: string;
  chartYaml: boolean;
}

async function writeEntry(entry: Entry, state: Unpacking): Promise<void> {
  const { header } = entry;
  const path = entryPath(header.name);
  const refuse = (why: string) =>
    new ChartArchiveError(`${state.what}: entry ${JSON.stringify(header.name)} is ${why}; refused`);
  if ('refused' in path) throw refuse(path.refused);
  state.top ??= path.top;
  if (path.top !== state.top)
    throw refuse(`outside the chart's folder ${state.top}/ (a chart has one top folder)`);
  state.budget.entry(`${state.what}: ${header.name}`);
  const target = join(state.into, ...path.rest);
  if (header.type === 'directory') {
    await mkdir(target, { recursive: true, mode: 0o700 });
    entry.resume();
    return;
  }
  if (header.type !== 'file' && header.type !== 'contiguous-file')
    throw refuse(`a ${header.type ?? 'special'} entry (only files and folders are unpacked)`);
  if (path.rest.length === 0) throw refuse('a file where the chart folder should be');
  state.budget.file(`${state.what}: ${header.name}`, header.size ?? 0);
  await mkdir(dirname(target), { recursive: true, mode: 0o700 });
  // `wx`: a second entry of the same name is refused rather than overwriting the first.
  await pipeline(entry, createWriteStream(target, { flags: 'wx', mode: 0o600 })).catch((err) => {
    throw (err as NodeJS.ErrnoException).code === 'EEXIST'
      ? refuse('a second entry of that name')
      : err;
  });
  if (path.rest.length === 1 && path.rest[0] === 'Chart.yaml') state.chartYaml = true;
}

/**
 * Unpacks a verified chart archive as the folder `into` (which must not
 * exist), for kustomize, which reads charts only from folders. A digest
 * says who published the bytes, not that they are harmless: only regular
 * files and folders are written, every name must stay inside the chart's one
 * top folder (no absolute or `..` paths), and file sizes, their total and
 * their number are bounded while it unpacks. Anything else refuses the whole
 * archive; the caller removes what was written.
 */
export async function extractChart(
  archive: string,
  into: string,
  what: string,
  budget: ScratchBudget,
): Promise<void> {
  await mkdir(into, { recursive: true, mode: 0o700 });
  const state: Unpacking = { into, what, budget, chartYaml: false };
  const unpack = extract();
  const feeding = pipeline(
    createReadStream(archive),
    createGunzip(),
    capped(budget.limits.maxTotalBytes, what),
    unpack,
  );
  const reading = (async () => {
    try {
      for await (const entry of unpack) await writeEntry(entry, state);
    } catch (err) {
      // Stops the feed too: nothing more is decompressed once an entry is refused.
      unpack.destroy(err as Error);
      throw err;
    }
  })();
  const [fed, read] = await Promise.allSettled([feeding, reading]);
  // The reader's refusal says why; a stream error alone (not gzip, truncated) says what broke.
  if (read.status === 'rejected' && read.reason instanceof RenderFailure) throw read.reason;
  if (fed.status === 'rejected')
    throw new ChartArchiveError(`${what}: ${(fed.reason as Error).message}`);
  if (read.status === 'rejected')
    throw new ChartArchiveError(`${what}: ${(read.reason as Error).message}`);
  if (!state.chartYaml) throw new ChartArchiveError(`${what}: the archive holds no Chart.yaml`);
}
