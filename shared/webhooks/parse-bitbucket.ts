import * as z from 'zod';
import { decodeBody } from './decode-body.ts';
import { requireDeliveryId } from './headers.ts';
import { PayloadError } from './payload-error.ts';
import { parsePayload, repoURLs, type Ignored, type PushEvent } from './push-event.ts';

// X-Hook-UUID names the webhook, not the delivery: every push carries the
// same one, so it must never be used to deduplicate.
export const BITBUCKET_DELIVERY_HEADERS = ['x-request-uuid'] as const;

const RefState = z.object({
  type: z.string(),
  name: z.string().min(1),
  target: z.object({ hash: z.string() }).optional(),
});

const BitbucketPush = z.object({
  repository: z.object({
    full_name: z.string().optional(),
    links: z.object({ html: z.object({ href: z.string() }).optional() }).optional(),
    mainbranch: z.object({ name: z.string() }).nullish(),
  }),
  push: z.object({
    // `new` is null when the ref was deleted. Bitbucket lists no files, so
    // changedPaths stays unknown.
    changes: z.array(z.object({ new: RefState.nullable() })),
  }),
});

/**
 * Bitbucket Cloud reports every ref a `git push` updated in one delivery, so
 * this parser returns one event per updated branch or tag.
 */
export function parseBitbucket(headers: Headers, rawBody: Buffer): PushEvent[] | Ignored {
  const event = headers.get('x-event-key');
  if (event === null) throw new PayloadError(['missing X-Event-Key header']);
  if (event !== 'repo:push') return { ignored: `${event} event` };

  const deliveryId = requireDeliveryId(headers, BITBUCKET_DELIVERY_HEADERS);
  const { repository: repo, push } = parsePayload(BitbucketPush, decodeBody(headers, rawBody));
  const urls = repoURLs([
    repo.links?.html?.href,
    repo.full_name ? `https://bitbucket.org/${repo.full_name}` : undefined,
  ]);
  const events: PushEvent[] = [];
  for (const change of push.changes) {
    const updated = change.new;
    if (!updated || (updated.type !== 'branch' && updated.type !== 'tag')) continue;
    const result: PushEvent = {
      provider: 'bitbucket',
      deliveryId,
      repoURLs: urls,
      ref: { type: updated.type, name: updated.name },
    };
    if (repo.mainbranch) result.defaultBranch = repo.mainbranch.name;
    if (updated.target) result.after = updated.target.hash;
    events.push(result);
  }
  return events.length > 0 ? events : { ignored: 'no branch or tag updated (deletions only)' };
}
