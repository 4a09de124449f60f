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

/**
 * Where requests go and what they carry: beside serve, this origin and its
 * session cookie (the default); on AWS, the browser API's URL and a bearer
 * token (main.tsx sets it from /config.json).
 */
export interface Transport {
  base: string;
  token?: () => Promise<string | undefined>;
  /** A 401: the session or token is gone (main.tsx sends the browser to sign in again). */
  onUnauthorized?: () => void;
}

let transport: Transport = { base: '' };

export function setTransport(next: Transport): void {
  transport = next;
}

async function send(path: string, init: RequestInit): Promise<Response> {
  const token = await transport.token?.();
  const headers = new Headers(init.headers);
  if (token) headers.set('authorization', `Bearer ${token}`);
  const response = await fetch(`${transport.base}${path}`, { ...init, headers, cache: 'no-store' });
  if (response.status === 401) transport.onUnauthorized?.();
  return response;
}

/** The last answer per path, to ask with If-None-Match and reuse on 304. */
const cached = new Map<string, { etag: string; body: unknown }>();

/**
 * GETs an API path (with the transport's cookie or token). A 304 reuses
 * the answer kept for the path, so a poll of an unchanged page parses
 * nothing; `changed` tells whether the body is new.
 */
export async function get<T>(path: string): Promise<{ body: T; changed: boolean }> {
  const kept = cached.get(path);
  const response = await send(path, { headers: kept ? { 'if-none-match': kept.etag } : {} });
  if (response.status === 304 && kept) return { body: kept.body as T, changed: false };
  if (!response.ok) throw await failure(response);
  const body = (await response.json()) as T;
  const etag = response.headers.get('etag');
  if (etag) cached.set(path, { etag, body });
  return { body, changed: true };
}

/** POSTs a JSON body; the answer's message, or the API's message as an ApiError. */
export async function post(path: string, body: unknown = {}): Promise<string> {
  const response = await send(path, {
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
