/** A response body larger than the application allows (spec.limits.maxFetchBytes). */
export class TooLargeError extends Error {
  readonly limit: number;
  constructor(limit: number) {
    super(`larger than the limit of ${limit} bytes (spec.limits.maxFetchBytes)`);
    this.name = 'TooLargeError';
    this.limit = limit;
  }
}

/**
 * A fetch() body read whole, refused once it passes `limit`: by its declared
 * length before reading, by what arrives while reading (a server may lie).
 */
export async function readBounded(response: Response, limit: number): Promise<Buffer> {
  if (Number(response.headers.get('content-length') ?? 0) > limit) {
    await response.body?.cancel();
    throw new TooLargeError(limit);
  }
  const chunks: Buffer[] = [];
  let received = 0;
  for await (const chunk of response.body ?? []) {
    received += chunk.length;
    if (received > limit) throw new TooLargeError(limit);
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}
