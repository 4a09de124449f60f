import * as z from 'zod';

/**
 * - auto: what a schedule or webhook does, following the app's syncPolicy
 *   (sync when automated, otherwise only record drift);
 * - sync: apply now, whatever the policy (CLI `sync`, API "sync now", rollback);
 * - diff: compare and record, write nothing to the cluster.
 */
export const RunMode = z.enum(['auto', 'sync', 'diff']);
export type RunMode = z.output<typeof RunMode>;

/** Who or what started a run: queued with the request, kept in its history entry. */
export const SyncTrigger = z.strictObject({
  kind: z.enum(['schedule', 'webhook', 'manual', 'rollback']),
  /** Who or what asked: a user, a webhook provider, the scheduler. */
  by: z.string().optional(),
  deliveryId: z.string().optional(),
  /** For a rollback, the history entry it re-synced. */
  rollbackOf: z.number().int().optional(),
  /** Why an automated rollback happened (failed bake: health or alarm). */
  reason: z.string().optional(),
});
export type SyncTrigger = z.output<typeof SyncTrigger>;
