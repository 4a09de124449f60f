import * as z from 'zod';
import { ResourceName } from '../config/names.ts';
import { RunMode, SyncTrigger } from '../config/run-trigger.ts';
import { GitRevision } from '../source/spec.ts';

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

/**
 * A request to preview a pull request: render its head for the applications
 * it touches and dry-run them, then report on the pull request. Carries the
 * event as the webhook verified it; the worker decides the applications.
 */
export const PreviewMessage = z.strictObject({
  kind: z.literal('preview'),
  provider: z.enum(['github', 'gitlab', 'bitbucket', 'gitea']),
  deliveryId: z.string().min(1),
  action: z.enum(['opened', 'reopened', 'synchronize']),
  repoURLs: z.array(z.string().min(1)).min(1),
  number: z.number().int().positive(),
  /** Full, or Bitbucket's abbreviated hash: see PullRequestEvent.headSha. */
  headSha: z.string().regex(/^[0-9a-f]{12,40}$/),
  // Both reach Git as revisions: a name from a payload gets the same check as one from a spec.
  headRef: GitRevision.refine(
    (ref) => ref.startsWith('refs/'),
    'headRef must be a full ref',
  ).optional(),
  baseBranch: GitRevision,
  defaultBranch: z.string().min(1).optional(),
  fork: z.boolean(),
  enqueuedAt: z.number().int(),
});
export type PreviewMessage = z.output<typeof PreviewMessage>;

/** Every message body on the queue: a reconcile of one application, or a pull-request preview. */
export const QueueMessage = z.union([ReconcileMessage, PreviewMessage]);
export type QueueMessage = z.output<typeof QueueMessage>;
export type QueueMessageInput = ReconcileMessageInput | z.input<typeof PreviewMessage>;

export const isPreviewMessage = (m: QueueMessage | QueueMessageInput): m is PreviewMessage =>
  'kind' in m && m.kind === 'preview';

/** What a message is about, for logs and errors: its application, or the pull request. */
export const messageSubject = (m: QueueMessage | QueueMessageInput): string =>
  isPreviewMessage(m) ? `preview of pull request #${m.number}` : m.app;

/** Where reconcile requests go: SQS in AWS, an in-process queue in local mode. */
export interface ReconcileQueue {
  send(messages: { message: QueueMessageInput; delaySeconds?: number }[]): Promise<void>;
}
