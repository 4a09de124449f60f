import * as z from 'zod';
import { ResourceName } from '../config/names.ts';
import { RunMode, SyncTrigger } from '../config/run-trigger.ts';

/** One request to reconcile one application; the body of every queue message. */
export const ReconcileMessage = z.strictObject({
  app: ResourceName,
  mode: RunMode.default('auto'),
  /** Pin a revision (rollback). */
  revision: z.string().min(1).optional(),
  prune: z.boolean().optional(),
  trigger: SyncTrigger,
  enqueuedAt: z.number().int(),
  /** When this request first met a lease someone else held; set on the copies put back for it. */
  busySince: z.number().int().optional(),
});

export type ReconcileMessage = z.output<typeof ReconcileMessage>;
export type ReconcileMessageInput = z.input<typeof ReconcileMessage>;

/** Where reconcile requests go: SQS in AWS, an in-process queue in local mode. */
export interface ReconcileQueue {
  send(messages: { message: ReconcileMessageInput; delaySeconds?: number }[]): Promise<void>;
}
