import * as z from 'zod';
import { decodeBody } from './decode-body.ts';
import { requireDeliveryId } from './headers.ts';
import type { PullRequestEvent } from './pull-request-event.ts';
import { parsePayload, type Ignored } from './push-event.ts';

export type PullRequestAction = PullRequestEvent['action'];

/**
 * A commit id as GitHub, GitLab and Gitea give it. SHA-1 only: the Git
 * client (isomorphic-git) cannot fetch from a SHA-256 repository, so its
 * events are refused here rather than failing later as an unknown head.
 */
export const FullSha = z
  .string()
  .regex(
    /^[0-9a-f]{40}$/,
    'expected a full commit SHA (40 hex digits; SHA-256 repositories are not supported)',
  );

export interface PullRequestFormat<A extends z.ZodType, S extends z.ZodType> {
  deliveryHeaders: readonly string[];
  /** The part of the payload that says what happened, validated on its own. */
  action: A;
  /** Our action for it, or why it asks for no preview. */
  decide(action: z.output<A>): PullRequestAction | Ignored;
  payload: S;
}

/**
 * What a pull-request parser starts with. The action is read before the rest
 * is validated, so an event that asks for no preview (closed, labeled...) is
 * ignored whatever else its payload holds or lacks.
 */
export function readPullRequest<A extends z.ZodType, S extends z.ZodType>(
  headers: Headers,
  rawBody: Buffer,
  format: PullRequestFormat<A, S>,
): { deliveryId: string; action: PullRequestAction; payload: z.output<S> } | Ignored {
  const body = decodeBody(headers, rawBody);
  const action = format.decide(parsePayload(format.action, body));
  if (typeof action !== 'string') return action;
  const deliveryId = requireDeliveryId(headers, format.deliveryHeaders);
  return { deliveryId, action, payload: parsePayload(format.payload, body) };
}

/** The forge's action word mapped to ours; any other is ignored under its own name. */
export function actionFrom(
  subject: string,
  action: string,
  actions: Readonly<Record<string, PullRequestAction>>,
): PullRequestAction | Ignored {
  return Object.hasOwn(actions, action) ? actions[action]! : { ignored: `${subject} ${action}` };
}
