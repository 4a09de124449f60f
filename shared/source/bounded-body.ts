/** Thrown from inside a response stream when a server sends more than the caller allows. */
export class ResponseTooLargeError extends Error {
  readonly limit: number;
  constructor(limit: number) {
    super(`response larger than ${limit} bytes`);
    this.name = new.target.name;
    this.limit = limit;
  }
}

/**
 * Passes a response body through, failing once it exceeds `limit` bytes:
 * isomorphic-git collects a whole pack in memory, so a hostile or broken
 * server is stopped while it sends, not after.
 */
export async function* boundedBody(
  body: AsyncIterableIterator<Uint8Array>,
  limit: number,
): AsyncIterableIterator<Uint8Array> {
  let received = 0;
  for await (const chunk of body) {
    received += chunk.length;
    if (received > limit) throw new ResponseTooLargeError(limit);
    yield chunk;
  }
}
