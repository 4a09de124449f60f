import type { SyncContext } from './context.ts';
import { inventoryDigest, type Inventory, type RememberedInventory } from './inventory.ts';
import { liveVersions } from './live-versions.ts';
import type { DesiredObject } from './prepare.ts';

/** The inventory a run starts from, and the live versions read to recall it. */
export interface Recalled {
  previous: Inventory | undefined;
  /** Set when the inventory was rebuilt from the live objects (nothing else was read). */
  live?: Map<string, string>;
}

/**
 * The last inventory without reading it when the cluster proves it: if every
 * desired object exists with the manifest digest the inventory would hold,
 * the entries built from the live resourceVersions have the remembered
 * digest exactly when they are the remembered entries, so they are used
 * instead of the stored ones. Anything else (an object written since, one
 * missing, one kept for a later prune) reads the stored inventory.
 */
export async function recallInventory(
  ctx: SyncContext,
  desired: DesiredObject[],
  remembered: RememberedInventory,
): Promise<Recalled> {
  const live = await liveVersions(ctx, desired);
  if (live.size === desired.length) {
    const entries = desired.map((d) => ({
      ...d.ref,
      resourceVersion: live.get(d.key),
      digest: d.digest,
    }));
    if (inventoryDigest(entries) === remembered.digest)
      return { previous: { revision: remembered.revision, entries }, live };
  }
  return { previous: await remembered.load() };
}
