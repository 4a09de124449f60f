import type { ReconcileQueue } from '../queue/message.ts';
import type { StateTable } from '../state/client.ts';
import { isDeliveryRecorded, recordDelivery } from '../state/deliveries.ts';
import { listRegistry } from '../state/registry.ts';
import type { Provider, WebhookDeps } from '../webhooks/index.ts';
import type { PullRequestEvent } from '../webhooks/pull-request-event.ts';
import { routeCandidates } from '../webhooks/route-candidates.ts';

/** Deliveries are remembered for a week: longer than any provider keeps redelivering. */
const DELIVERY_TTL_SECONDS = 7 * 24 * 3600;

/** What the webhook flow needs, wired to the state table, the registry and the reconcile queue. */
export function webhookDeps(options: {
  table: StateTable;
  queue: ReconcileQueue;
  secret: (provider: Provider) => Promise<string | undefined>;
  /** Whether pull requests are previewed at all: forge credentials exist to report with (default: yes). */
  previews?: boolean;
  /** Preview pull requests from forks too (off unless set). */
  previewForks?: boolean;
  log?: WebhookDeps['log'];
}): WebhookDeps {
  return {
    secret: options.secret,
    wasDelivered: (provider, id) => isDeliveryRecorded(options.table, { provider, id }),
    recordDelivered: (provider, id) =>
      recordDelivery(options.table, { provider, id, ttlSeconds: DELIVERY_TTL_SECONDS }),
    applications: async () =>
      (await listRegistry(options.table)).flatMap((entry) =>
        entry.app && !entry.error ? routeCandidates(entry.name, entry.app, entry.watchPaths) : [],
      ),
    enqueue: (apps, push) =>
      options.queue.send(
        apps.map((app) => ({
          message: {
            app,
            mode: 'auto',
            trigger: { kind: 'webhook', by: push.provider, deliveryId: push.deliveryId },
            enqueuedAt: Date.now(),
          },
        })),
      ),
    ...(options.previews === false
      ? {}
      : {
          enqueuePreview: (pr: PullRequestEvent) =>
            options.queue.send([{ message: { kind: 'preview', ...pr, enqueuedAt: Date.now() } }]),
        }),
    previewForks: options.previewForks ?? false,
    log: options.log,
  };
}
