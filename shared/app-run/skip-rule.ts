import type { Application } from '../config/application.ts';
import type { AppState } from '../state/app-state.ts';
import type { AppRecord } from '../state/head.ts';
import { objectDigest } from '../sync/digest.ts';

/** Digest of what the Application asks for, to notice a changed definition at an unchanged commit. */
export function specDigest(app: Application): string {
  return objectDigest(app.spec);
}

/**
 * The last sync finished without error and nothing since asked for another:
 * in sync, or drifted as found by a drift check (which leaves the sync's facts
 * alone). A failed drift check (`checkError`, status Unknown) does not
 * unsettle it: only a settled app is checked, and the next check tries again.
 */
function settled(state: AppState): boolean {
  if (state.operation || state.error) return false;
  return (
    state.syncStatus === 'Synced' ||
    state.driftedSince !== undefined ||
    state.checkError !== undefined
  );
}

/**
 * The target is the commit last synced, that sync succeeded and completed,
 * the definition is the one synced and no bake is judging it: the live
 * objects can only have drifted, which a dry run at that commit (source and
 * render cached) finds.
 */
export function settledAt(record: AppRecord, app: Application, revision: string): boolean {
  const state = record.state;
  if (!state || !settled(state)) return false;
  // A baking revision is judged on every reconcile: health comes from the engine.
  if (state.bake && !state.bake.failed) return false;
  if (state.specDigest !== specDigest(app)) return false;
  return revision === state.syncedRevision && record.inventory?.revision === revision;
}
