import type { AppRunOutcome } from '../app-run/types.ts';
import type { DriftlessEvent } from '../observability/events.ts';
import type { PreviewOutcome } from '../preview/run-preview.ts';
import type { RolloutOutcome } from '../rollout/rollout.ts';

/**
 * - done / rollout / preview / dropped: the message is finished (rollout: an
 *   application with several destinations, one outcome per destination);
 * - retry: put it back (busy lease, or a failure worth another try); with
 *   `retryAfterMs` when it is known when another try can succeed (a busy
 *   lease's expiry, or at once for a message left for another invocation).
 */
export type MessageOutcome =
  | { kind: 'done'; app: string; outcome: AppRunOutcome; events: DriftlessEvent[] }
  | {
      kind: 'rollout';
      app: string;
      outcome: Exclude<RolloutOutcome, { status: 'busy' }>;
      events: DriftlessEvent[];
    }
  | { kind: 'preview'; number: number; outcome: Exclude<PreviewOutcome, { kind: 'stopped' }> }
  | { kind: 'dropped'; reason: string }
  | { kind: 'retry'; app: string; reason: string; retryAfterMs?: number };
