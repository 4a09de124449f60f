import { mapLimit } from '../util/map-limit.ts';
import { KubeApiError } from '../kube/errors.ts';
import { describeRef } from '../kube/object.ts';
import { applyObject, getObject } from '../kube/operations.ts';
import type { SyncContext } from './context.ts';
import { describeError } from './describe-error.ts';
import type { Hook } from './hooks.ts';
import { FIELD_MANAGER, ownerOf } from './ownership.ts';

/**
 * Checks every hook before the sync writes anything, so a hook that could
 * never be created stops the sync as early as an invalid object does: a live
 * object of the same name must be one of this application's (a hook never
 * deletes or overwrites anything else), and the server must accept the
 * manifest (server-side apply dry-run). Returns one message per failed hook.
 *
 * The dry-run is skipped where it would judge the wrong thing: a hook whose
 * previous run is deleted first (`BeforeHookCreation`; a dry-run against it
 * would report the immutable fields of a Job or Pod as errors), a kind whose
 * CRD is created in this sync, and a namespace this sync creates (the
 * dry-run's NotFound). Those are checked by the server when the hook is
 * created.
 */
export async function checkHooks(
  ctx: SyncContext,
  hooks: Hook[],
  namespacesCreatedBySync: Set<string>,
): Promise<Map<Hook, string>> {
  const failures = new Map<Hook, string>();
  await mapLimit(hooks, ctx.concurrency, async (hook) => {
    const d = hook.desired;
    if (!d.info) return;
    try {
      const live = await getObject(ctx.client, d.info, d.ref.namespace, d.ref.name);
      if (live && ownerOf(live) !== ctx.app) {
        const owner = ownerOf(live);
        failures.set(
          hook,
          `${describeRef(d.ref)} exists and ${owner ? `belongs to application "${owner}"` : 'was not created by Driftless'}; a hook never replaces it`,
        );
        return;
      }
      if (live && hook.deletePolicies.includes('BeforeHookCreation')) return;
      await applyObject(ctx.client, d.info, d.object, {
        fieldManager: FIELD_MANAGER,
        dryRun: true,
        force: true,
      });
    } catch (err) {
      // The only NotFound a dry-run apply gives is its namespace's.
      const namespaceComing =
        err instanceof KubeApiError &&
        err.notFound &&
        d.ref.namespace !== undefined &&
        namespacesCreatedBySync.has(d.ref.namespace);
      if (!namespaceComing) failures.set(hook, describeError(d, err));
    }
  });
  return failures;
}
