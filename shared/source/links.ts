import { posix } from 'node:path';

/** A symbolic link of a checked-out tree that was not written, and why. */
export interface RefusedLink {
  /** Path of the link inside the checkout, `/`-separated. */
  path: string;
  /** The link's text as committed. */
  target: string;
  reason: string;
}

/** What a checked-out tree holds at a path: enough to resolve links without touching the disk. */
export type TreeNode = { type: 'tree' } | { type: 'blob' } | { type: 'link'; target: string };

// Linux gives up after 40 links in one lookup (ELOOP); a tree may not do more.
const MAX_HOPS = 40;

type Resolution = { inside: true; resolved: string } | { inside: false; reason: string };

/**
 * Where a link of the tree ends up once every link on the way is followed,
 * decided on the tree itself: a target that leaves the root at any step,
 * names an absolute path, or loops is refused, and so is `..` after a name
 * that is not a folder of the tree (`missing/..`, `file/..`).
 */
function resolveLink(nodes: ReadonlyMap<string, TreeNode>, path: string): Resolution {
  const start = nodes.get(path);
  if (start?.type !== 'link') return { inside: true, resolved: path };
  const resolved: string[] = path.split('/').slice(0, -1);
  const pending: string[] = [];
  let hops = 0;
  const follow = (target: string): string | undefined => {
    if (target === '') return 'its target is empty';
    if (target.includes('\0')) return 'its target contains a NUL byte';
    if (posix.isAbsolute(target)) return 'its target is an absolute path';
    if (++hops > MAX_HOPS) return `more than ${MAX_HOPS} links in a row (a loop)`;
    pending.unshift(...target.split('/'));
    return undefined;
  };
  const first = follow(start.target);
  if (first) return { inside: false, reason: first };
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (resolved.length === 0) return { inside: false, reason: 'it leads outside the checkout' };
      // `missing/..` fails on a case-sensitive file system, but on another
      // the name may match a link in other case and climb elsewhere.
      if (nodes.get(resolved.join('/'))?.type !== 'tree')
        return {
          inside: false,
          reason: `it climbs out of ${resolved.join('/')}, which is not a folder of the tree`,
        };
      resolved.pop();
      continue;
    }
    resolved.push(part);
    const node = nodes.get(resolved.join('/'));
    if (node?.type === 'link') {
      resolved.pop();
      const problem = follow(node.target);
      if (problem)
        return {
          inside: false,
          reason: `it passes through link ${resolved.concat(part).join('/')}, and ${problem}`,
        };
    }
  }
  return { inside: true, resolved: resolved.join('/') };
}

/** Every link of the tree whose resolved target is not inside the tree. */
export function refusedLinks(nodes: ReadonlyMap<string, TreeNode>): RefusedLink[] {
  const refused: RefusedLink[] = [];
  for (const [path, node] of nodes) {
    if (node.type !== 'link') continue;
    const resolution = resolveLink(nodes, path);
    if (!resolution.inside) refused.push({ path, target: node.target, reason: resolution.reason });
  }
  return refused.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
