import type { Application } from '../config/application.ts';
import type { AppRecord } from '../state/head.ts';
import { objectDigest } from '../sync/digest.ts';

/** Digest of what the Application asks for, to notice a changed definition at an unchanged commit. */
export function specDigest(app: Application): string {
  return objectDigest(app.spec);
}

/**
 * Nothing to do when the target is the commit last synced, the last sync
 * succeeded and completed, and self-heal does not ask for a drift check: the
 * caller's one `ls-remote`-sized request, no fetch, no cluster call.
 */
export function unchangedAt(record: AppRecord, app: Application, revision: string): boolean {
  const state = record.state;
  if (!state || state.operation || state.syncStatus !== 'Synced' || state.error) return false;
  // A baking revision is judged on every reconcile: health comes from the engine.
  if (state.bake && !state.bake.failed) return false;
  if (app.spec.syncPolicy.automated?.selfHeal) return false;
  // Not yet healthy after the last sync: keep looking, so status does not freeze.
  if (state.health !== 'Healthy' && state.health !== 'Suspended') return false;
  if (state.specDigest !== specDigest(app)) return false;
  return revision === state.syncedRevision && record.inventory?.revision === revision;
}
