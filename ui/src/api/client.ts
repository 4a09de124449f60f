/** A refused or failed request, with the API's own message. */
export class ApiError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

async function failure(response: Response): Promise<ApiError> {
  const body = (await response.json().catch(() => undefined)) as { message?: string } | undefined;
  return new ApiError(response.status, body?.message ?? `HTTP ${response.status}`);
}

/** The last answer per path, to ask with If-None-Match and reuse on 304. */
const cached = new Map<string, { etag: string; body: unknown }>();

/**
 * GETs an API path (same origin, the session cookie goes along). A 304 reuses
 * the answer kept for the path, so a poll of an unchanged page parses
 * nothing; `changed` tells whether the body is new.
 */
export async function get<T>(path: string): Promise<{ body: T; changed: boolean }> {
  const kept = cached.get(path);
  const response = await fetch(path, {
    headers: kept ? { 'if-none-match': kept.etag } : {},
    cache: 'no-store',
  });
  if (response.status === 304 && kept) return { body: kept.body as T, changed: false };
  if (!response.ok) throw await failure(response);
  const body = (await response.json()) as T;
  const etag = response.headers.get('etag');
  if (etag) cached.set(path, { etag, body });
  return { body, changed: true };
}

/** POSTs a JSON body; the answer's message, or the API's message as an ApiError. */
export async function post(path: string, body: unknown = {}): Promise<string> {
  const response = await fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw await failure(response);
  const answer = (await response.json().catch(() => ({}))) as { message?: string };
  return answer.message ?? 'done';
}

/** `/apps/NAME/ACTION`, with the destination for a rollout's cluster-specific routes. */
export function appPath(name: string, action = '', destination?: string): string {
  const base = `/apps/${encodeURIComponent(name)}${action ? `/${action}` : ''}`;
  return destination ? `${base}?destination=${encodeURIComponent(destination)}` : base;
}
