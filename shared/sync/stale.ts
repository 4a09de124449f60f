import { objectViolations } from '../project/check-objects.ts';
import { mapLimit } from '../util/map-limit.ts';
import { describeRef, objectKey, type KubeObject } from '../kube/object.ts';
import type { ResourceInfo } from '../kube/discovery.ts';
import { getObject } from '../kube/operations.ts';
import type { SyncContext } from './context.ts';
import type { InventoryEntry } from './inventory.ts';
import { ContentsLister, type Contents } from './list-contents.ts';
import { ownerOf, PRUNE_ANNOTATION } from './ownership.ts';
import { guardPrune } from './prune-guard.ts';

export interface StaleObject {
  entry: InventoryEntry;
  info?: ResourceInfo;
  live?: KubeObject;
  /** Deleted (or, in a dry run, would be). */
  prune: boolean;
  /** Kept in the inventory for a later prune: its kind is not served now. */
  keep: boolean;
  message?: string;
  /** A CRD's or Namespace's objects outside the application, which deleting it takes along. */
  takes?: Contents;
  /** Kept because of `takes`: prune would delete what the application does not own. */
  heldBack?: boolean;
}

/**
 * Finds what the previous sync applied that the current revision no longer
 * has, and decides for each whether it may be deleted: only if it still
 * exists, still carries this application's marks, is not annotated
 * `driftless.dev/prune: disabled`, and (a CRD or Namespace) holds nothing
 * outside the application unless its manifest opted in to cascade.
 */
export async function findStale(
  ctx: SyncContext,
  previous: InventoryEntry[],
  currentKeys: Set<string>,
): Promise<StaleObject[]> {
  const stale = previous.filter((e) => !currentKeys.has(objectKey(e)));
  const lister = new ContentsLister(ctx, new Set(previous.map(objectKey)));
  const found = await mapLimit(
    stale,
    ctx.concurrency,
    async (entry): Promise<StaleObject | undefined> => {
      const info = await ctx.discovery.find(entry.apiVersion, entry.kind);
      // Not served right now (an aggregated API down, a version withdrawn):
      // kept in the inventory so a later sync can still prune it.
      if (!info) {
        return {
          entry,
          prune: false,
          keep: true,
          message: `${describeRef(entry)}: ${entry.apiVersion} ${entry.kind} is not served by the cluster now; kept for a later prune`,
        };
      }
      const live = await getObject(ctx.client, info, entry.namespace, entry.name);
      if (!live) return undefined;
      const owner = ownerOf(live);
      if (owner !== ctx.app) {
        return {
          entry,
          info,
          live,
          prune: false,
          keep: false,
          message: `${describeRef(entry)} no longer carries this application's marks; left in place`,
        };
      }
      const outside =
        ctx.project && objectViolations(ctx.project.project, ctx.project.cluster, entry);
      if (outside?.length) {
        // Still ours, so kept for the prune of a sync the project allows again.
        return {
          entry,
          info,
          live,
          prune: false,
          keep: true,
          message: `not pruned: ${outside.map((v) => v.message).join('; ')}`,
        };
      }
      if (live.metadata.annotations?.[PRUNE_ANNOTATION] === 'disabled') {
        return {
          entry,
          info,
          live,
          prune: false,
          keep: false,
          message: `${describeRef(entry)} has ${PRUNE_ANNOTATION}: disabled; left in place`,
        };
      }
      const { takes, heldBack } = await guardPrune(lister, entry, live);
      if (heldBack) {
        // Kept in the inventory, so a later sync prunes it once it is empty or opted in.
        return {
          entry,
          info,
          live,
          prune: false,
          keep: true,
          message: heldBack,
          takes,
          heldBack: true,
        };
      }
      return { entry, info, live, prune: true, keep: false, takes };
    },
  );
  return found.filter((s): s is StaleObject => s !== undefined);
}
