import { createHash } from 'node:crypto';
import type { ApiResponse } from './types.ts';

/**
 * A GET answer made conditional: its ETag is a digest of the body, and a
 * request whose If-None-Match carries it gets 304 with no body. The UI polls
 * every few seconds; an unchanged page then costs a few bytes and no render.
 * The answer is still computed: the digest is of what would be sent.
 */
export function conditional(response: ApiResponse, ifNoneMatch: string | undefined): ApiResponse {
  if (response.statusCode !== 200) return response;
  const digest = createHash('sha256').update(JSON.stringify(response.body)).digest('base64url');
  const etag = `"${digest.slice(0, 27)}"`;
  const headers = { ...response.headers, etag, 'cache-control': 'no-cache' };
  const sent = ifNoneMatch?.split(',').map((t) => t.trim().replace(/^W\//, ''));
  if (sent?.includes(etag) || ifNoneMatch?.trim() === '*')
    return { statusCode: 304, body: undefined, headers };
  return { ...response, headers };
}
