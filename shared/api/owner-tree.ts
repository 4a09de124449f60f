import type { LiveObject } from './types.ts';

/** A node of the resource tree: an object and the objects it owns. */
export interface TreeNode extends Omit<LiveObject, 'owners'> {
  children: TreeNode[];
}

function byKindAndName(a: TreeNode, b: TreeNode): number {
  return a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name);
}

/**
 * The objects arranged by owner references: an object whose owner is among
 * `objects` hangs under it, every other one is a root. Children were read in
 * owner order (live-objects.ts), so a cycle cannot occur; a node is attached
 * under its first owner only.
 */
export function ownerTree(objects: LiveObject[]): TreeNode[] {
  const nodes = new Map<LiveObject, TreeNode>();
  const byUid = new Map<string, TreeNode>();
  for (const object of objects) {
    const { owners: _owners, ...rest } = object;
    const node: TreeNode = { ...rest, children: [] };
    nodes.set(object, node);
    if (object.uid) byUid.set(object.uid, node);
  }
  const roots: TreeNode[] = [];
  for (const [object, node] of nodes) {
    const owner = object.owners.map((uid) => byUid.get(uid)).find((n) => n && n !== node);
    (owner ? owner.children : roots).push(node);
  }
  const sort = (list: TreeNode[]): TreeNode[] => {
    list.sort(byKindAndName);
    for (const n of list) sort(n.children);
    return list;
  };
  return sort(roots);
}
