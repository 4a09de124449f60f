import type * as z from 'zod';
import { decodeBody } from './decode-body.ts';
import { requireDeliveryId } from './headers.ts';
import { PayloadError } from './payload-error.ts';
import {
  isNullSha,
  parsePayload,
  parseRef,
  refDeleted,
  unroutableRef,
  type Ignored,
  type PushEvent,
} from './push-event.ts';

export interface PushFormat<S extends z.ZodType<{ ref: string; after: string }>> {
  /** The header naming the event, as the provider spells it (`X-GitHub-Event`). */
  eventHeader: string;
  /** Event names that are pushes; any other is ignored. */
  pushEvents: readonly string[];
  /** Events ignored by their own name (`ping`) rather than as "`x` event". */
  quietEvents?: readonly string[];
  deliveryHeaders: readonly string[];
  payload: S;
  /** Whether the payload says the ref was deleted beyond a null `after` (GitHub's `deleted`). */
  deleted?: (push: z.output<S>) => boolean;
}

/**
 * What every single-ref push parser starts with: the event from its header
 * (ignoring what is not a push), the delivery id, the payload validated, and
 * a ref that can be routed and still exists.
 */
export function readPush<S extends z.ZodType<{ ref: string; after: string }>>(
  headers: Headers,
  rawBody: Buffer,
  format: PushFormat<S>,
): { deliveryId: string; push: z.output<S>; ref: PushEvent['ref'] } | Ignored {
  const event = headers.get(format.eventHeader);
  if (event === null) throw new PayloadError([`missing ${format.eventHeader} header`]);
  if (format.quietEvents?.includes(event)) return { ignored: event };
  if (!format.pushEvents.includes(event)) return { ignored: `${event} event` };
  const deliveryId = requireDeliveryId(headers, format.deliveryHeaders);
  const push = parsePayload(format.payload, decodeBody(headers, rawBody));
  const ref = parseRef(push.ref);
  if (!ref) return unroutableRef(push.ref);
  if (format.deleted?.(push) || isNullSha(push.after)) return refDeleted(ref);
  return { deliveryId, push, ref };
}
