import { constants } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, realpath, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { escapeOf, insideRoot, OutsideCheckoutError, type Containment } from './containment.ts';
import { RenderFailure } from './errors.ts';

/** What one scratch folder may hold: the application's limits. */
export interface ScratchLimits {
  /** Largest file (spec.limits.maxFileBytes). */
  maxFileBytes: number;
  /** All files together (spec.limits.maxFetchBytes: no more than one fetch may bring). */
  maxTotalBytes: number;
}

export const DEFAULT_SCRATCH_LIMITS: ScratchLimits = {
  maxFileBytes: 16 * 1024 ** 2,
  maxTotalBytes: 512 * 1024 ** 2,
};

/** Entries of one scratch folder: a tree of many empty files costs inodes, not bytes. */
const MAX_ENTRIES = 100_000;

/** A scratch copy or an unpacked chart would pass the application's limits. */
export class ScratchLimitError extends RenderFailure {
  constructor(message: string) {
    super('CHART_DEPENDENCY', message);
  }
}

/** Counts what one scratch folder holds, so a copy or an unpacked archive stops at the limits. */
export class ScratchBudget {
  readonly limits: ScratchLimits;
  private bytes = 0;
  private entries = 0;
  constructor(limits: ScratchLimits) {
    this.limits = limits;
  }

  entry(what: string): void {
    if (++this.entries > MAX_ENTRIES)
      throw new ScratchLimitError(`${what}: more than ${MAX_ENTRIES} files and folders to write`);
  }

  file(what: string, size: number): void {
    if (size > this.limits.maxFileBytes)
      throw new ScratchLimitError(
        `${what} is ${size} bytes, larger than the limit of ${this.limits.maxFileBytes} bytes (spec.limits.maxFileBytes)`,
      );
    this.bytes += size;
    if (this.bytes > this.limits.maxTotalBytes)
      throw new ScratchLimitError(
        `${what}: the render's copy would hold more than ${this.limits.maxTotalBytes} bytes (spec.limits.maxFetchBytes)`,
      );
  }
}

/** A folder for one render's copy, removed once `run` settles. */
export async function withScratchDir<T>(run: (dir: string) => Promise<T>): Promise<T> {
  const dir = await realpath(await mkdtemp(join(tmpdir(), 'driftless-scratch-')));
  try {
    return await run(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

interface CopyContext {
  containment: Containment;
  budget: ScratchBudget;
  /** Resolved folders being copied, outermost first: a link to one of them is a loop. */
  open: Set<string>;
}

/**
 * Copies a folder of the checkout to `to`, which must not exist yet:
 * folders and regular files only. A link is followed only once its resolved
 * path is judged inside the checkout, and written as what it points to, so
 * nothing in the copy leads out of it; a link back to a folder being copied
 * is a loop and refused. The checkout itself is shared and read-only.
 */
export async function copyContained(
  from: string,
  to: string,
  containment: Containment,
  budget: ScratchBudget,
): Promise<void> {
  await copyDir(from, to, { containment, budget, open: new Set([await realpath(from)]) });
}

async function copyDir(from: string, to: string, context: CopyContext): Promise<void> {
  const { containment, budget, open } = context;
  await mkdir(to, { mode: 0o700 });
  for (const entry of await readdir(from, { withFileTypes: true })) {
    const source = join(from, entry.name);
    const shown = insideRoot(containment, source) ?? source;
    budget.entry(shown);
    if (entry.isSymbolicLink()) {
      const escape = escapeOf(containment, source);
      if (escape) throw new OutsideCheckoutError([`${shown}: ${escape}`]);
    }
    // stat follows links; a link to nothing leaves nothing to copy.
    const info = await stat(source).catch(() => undefined);
    if (info?.isDirectory()) {
      const real = await realpath(source);
      if (open.has(real))
        throw new OutsideCheckoutError([`${shown}: a link back to a folder it is in (a loop)`]);
      open.add(real);
      await copyDir(source, join(to, entry.name), context);
      open.delete(real);
    } else if (info?.isFile()) {
      budget.file(shown, info.size);
      await copyFile(source, join(to, entry.name), constants.COPYFILE_EXCL);
    }
  }
}
