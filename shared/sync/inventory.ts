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
