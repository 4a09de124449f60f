import { cutText } from './cut-text.ts';

/**
 * How many comments a client reads when it looks for its own: enough for
 * any pull request a person reads, bounded so a flooded one costs a fixed
 * number of requests (past it, a new comment is written).
 */
export const MAX_LISTED_COMMENTS = 3000;

export interface ListedComment {
  id: number;
  body: string;
  /** Written by the identity the credential acts as (not merely carrying the marker). */
  own: boolean;
}

/**
 * The comment to update: the newest (last, in a list oldest first) that
 * carries the marker AND that we wrote. A pull-request author can paste the
 * marker into their own comment; it must neither be edited nor hide ours.
 */
export function ownMarkedComment(
  comments: readonly ListedComment[],
  marker: string,
): ListedComment | undefined {
  return comments.findLast((c) => c.own && c.body.includes(marker));
}

/**
 * The body to post: it always carries the marker (else the next upsert
 * would not find it and write another comment), and it fits the forge's
 * limit, cut with a note saying so rather than refused.
 */
export function commentBody(marker: string, body: string, limit: number, forge: string): string {
  const marked = body.includes(marker) ? body : `${marker}\n${body}`;
  if (marked.length <= limit) return marked;
  const note = `\n\n… (cut: the full text is longer than ${forge}'s limit of ${limit} characters for a comment)`;
  const rest = body.replace(marker, '').replace(/^\n/, '');
  return `${marker}\n${cutText(rest, limit - marker.length - 1 - note.length)}${note}`;
}
