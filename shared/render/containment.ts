import { realpathSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import type { RefusedLink } from '../source/links.ts';
import { RenderFailure } from './errors.ts';

/** The folder a render may read, and the links of it that were not checked out. */
export interface Containment {
  /** Resolved (realpath) folder: the repository checkout, or the application's path alone. */
  root: string;
  /** Paths relative to `root`. */
  refusedLinks: readonly RefusedLink[];
}

/** A render would read outside the checkout, or through a link that leaves it; nothing was applied. */
export class OutsideCheckoutError extends RenderFailure {
  readonly problems: string[];
  constructor(problems: string[]) {
    const lines = problems.slice(0, 20).map((p) => `  - ${p}`);
    if (problems.length > 20) lines.push(`  ... and ${problems.length - 20} more`);
    super(
      'OUTSIDE_CHECKOUT',
      `the render would read outside the application's checkout; nothing was applied:\n${lines.join('\n')}`,
    );
    this.problems = problems;
  }
}

export function describeLink(link: RefusedLink): string {
  return `link ${link.path} -> ${link.target} is refused: ${link.reason}`;
}

/** `/`-separated path of `absolute` relative to the root, or undefined when outside it. */
export function insideRoot(containment: Containment, absolute: string): string | undefined {
  const rel = relative(containment.root, resolve(absolute));
  if (rel === '') return '.';
  if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return undefined;
  return rel.split(sep).join('/');
}

/** Refused links at or below a folder of the checkout (`.` for the root). */
export function refusedUnder(containment: Containment, dir: string): RefusedLink[] {
  return containment.refusedLinks.filter(
    (l) => dir === '.' || l.path === dir || l.path.startsWith(`${dir}/`),
  );
}

/**
 * Why reading `absolute` would leave the checkout, or undefined when it stays
 * inside: decided on the resolved path, so a link chain cannot hide an exit.
 * A path that does not exist is inside when its name is; the reader then
 * reports it missing.
 */
export function escapeOf(containment: Containment, absolute: string): string | undefined {
  const named = insideRoot(containment, absolute);
  if (named === undefined) return 'it is outside the checkout';
  const refused = containment.refusedLinks.find(
    (l) => named === l.path || named.startsWith(`${l.path}/`),
  );
  if (refused) return describeLink(refused);
  let real: string;
  try {
    // The kernel's answer: Node's JavaScript realpath normalizes `link/..`
    // by name, and a link chain built for that difference fools it.
    real = realpathSync.native(absolute);
  } catch {
    return undefined;
  }
  return insideRoot(containment, real) === undefined
    ? `it resolves to ${real}, outside the checkout`
    : undefined;
}

/**
 * Why a whole folder (a chart) cannot be read, each prefixed with `at`: the
 * folder leaves the checkout, or links refused below it would be read (Helm's
 * `.Files` sees every file). Empty when it can be.
 */
export function folderRefusals(containment: Containment, dir: string, at: string): string[] {
  const escape = escapeOf(containment, dir);
  if (escape) return [`${at}: ${escape}`];
  const links = refusedUnder(containment, insideRoot(containment, dir) ?? '.');
  return links.map((l) => `${at}: ${describeLink(l)}`);
}
