import { createHash } from 'node:crypto';
import type { ObjectRef } from '../kube/object.ts';

/**
 * One object the last successful sync applied. `resourceVersion` is what the
 * server returned after our apply and `digest` is the hash of what we sent;
 * together they let a no-op reconcile prove nothing changed without a dry-run.
 */
export interface InventoryEntry extends ObjectRef {
  resourceVersion?: string;
  digest?: string;
}

/** Everything one application applied in its last successful sync. */
export interface Inventory {
  /** The Git commit the inventory was produced from. */
  revision: string;
  entries: InventoryEntry[];
}

function canonical(e: InventoryEntry): string {
  return [
    e.apiVersion,
    e.kind,
    e.namespace ?? '',
    e.name,
    e.resourceVersion ?? '',
    e.digest ?? '',
  ].join('\u0000');
}

/**
 * Whether two inventories hold the same: entries built by the sync and
 * entries read back through the schema order their keys differently, so
 * their JSON never matches; a sync that changed nothing then rewrote the
 * whole inventory (about 50 write units at 1,000 objects).
 */
export function sameInventory(a: Inventory | undefined, b: Inventory | undefined): boolean {
  if (!a || !b) return a === b;
  if (a.revision !== b.revision || a.entries.length !== b.entries.length) return false;
  const left = a.entries.map(canonical).sort();
  const right = b.entries.map(canonical).sort();
  return left.every((v, i) => v === right[i]);
}

/**
 * Digest of an inventory's entries, independent of their order: the head
 * item keeps it, so a drift check can prove the live objects are exactly
 * what the last sync left without reading the inventory itself.
 */
export function inventoryDigest(entries: InventoryEntry[]): string {
  return createHash('sha256').update(entries.map(canonical).sort().join('\n')).digest('hex');
}

/**
 * The last inventory as the head item describes it: its revision and digest,
 * and how to read it whole when the live objects do not prove it.
 */
export interface RememberedInventory {
  revision: string;
  digest: string;
  load(): Promise<Inventory | undefined>;
}
