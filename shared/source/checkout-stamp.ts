import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { join, relative, sep } from 'node:path';
import * as z from 'zod';
import type { TreeNode } from './links.ts';

/**
 * What a checkout was made from, kept beside its folder (never inside it,
 * where a renderer would read it): the digest of the tree as written, the
 * links that were refused, and the largest file. A folder found on disk is
 * used only when what it holds still matches, so a folder planted or
 * changed under the cache is checked out again rather than trusted.
 */
export const CheckoutStamp = z.strictObject({
  commit: z.string(),
  listing: z.string(),
  refusedLinks: z.array(
    z.strictObject({ path: z.string(), target: z.string(), reason: z.string() }),
  ),
  largestFile: z.strictObject({ path: z.string(), bytes: z.number() }).optional(),
});
export type CheckoutStamp = z.output<typeof CheckoutStamp>;

export function stampFile(target: string): string {
  return `${target}.stamp.json`;
}

/** One line per entry, sorted, so the same tree always gives the same digest. */
export function listingDigest(nodes: ReadonlyMap<string, TreeNode>): string {
  const lines = [...nodes]
    .map(([path, node]) => `${node.type}\t${path}\t${node.type === 'link' ? node.target : ''}`)
    .sort();
  return createHash('sha256').update(lines.join('\n')).digest('hex');
}

/** The tree a folder holds now, read from the disk: names, kinds and link targets. */
async function nodesOnDisk(dir: string): Promise<Map<string, TreeNode> | undefined> {
  const nodes = new Map<string, TreeNode>();
  const entries = await fs.promises.readdir(dir, { recursive: true, withFileTypes: true });
  for (const entry of entries) {
    const full = join(entry.parentPath, entry.name);
    const path = relative(dir, full).split(sep).join('/');
    if (entry.isSymbolicLink()) {
      nodes.set(path, { type: 'link', target: await fs.promises.readlink(full) });
    } else if (entry.isDirectory()) nodes.set(path, { type: 'tree' });
    else if (entry.isFile()) nodes.set(path, { type: 'blob' });
    // A socket, fifo or device was never written by a checkout.
    else return undefined;
  }
  return nodes;
}

/** Written aside and renamed: a reader in another process never sees half a stamp. */
export async function writeStamp(target: string, stamp: CheckoutStamp): Promise<void> {
  const temp = `${stampFile(target)}.${randomBytes(4).toString('hex')}.tmp`;
  await fs.promises.writeFile(temp, JSON.stringify(stamp), { mode: 0o600 });
  await fs.promises.rename(temp, stampFile(target));
}

/** The stamp of a folder that still holds exactly what was checked out, or undefined. */
export async function verifiedStamp(
  target: string,
  commit: string,
): Promise<CheckoutStamp | undefined> {
  let stamp: CheckoutStamp;
  try {
    stamp = CheckoutStamp.parse(JSON.parse(await fs.promises.readFile(stampFile(target), 'utf8')));
  } catch {
    return undefined;
  }
  if (stamp.commit !== commit) return undefined;
  const nodes = await nodesOnDisk(target).catch(() => undefined);
  return nodes && listingDigest(nodes) === stamp.listing ? stamp : undefined;
}
