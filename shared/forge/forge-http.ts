import type * as z from 'zod';
import { readBounded, TooLargeError } from '../source/read-bounded.ts';
import {
  credentialsIn,
  ForgeError,
  ForgeRedirectError,
  forgeMessage,
  redact,
  type ForgeErrorDetails,
} from './forge-error.ts';
import type { ForgeKind } from './types.ts';

export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_RESPONSE_BYTES = 5 * 1024 * 1024;

/** One forge API as a client may use it. */
export interface ForgeConnection {
  forge: ForgeKind;
  /** `https://api.github.com`, `https://git.example.com/api/v4`: requests go under it and nowhere else. */
  apiBase: string;
  /** The credential's own secrets, kept out of every error message. */
  secrets: readonly string[];
  timeoutMs: number;
  maxResponseBytes: number;
}

export interface ForgeResponse {
  status: number;
  headers: Headers;
  /** For an error status, already stripped of the credentials the request carried. */
  body: Buffer;
}

export interface ForgeRequest {
  headers?: Record<string, string>;
  body?: string;
}

const withSlash = (path: string) => (path.endsWith('/') ? path : `${path}/`);

/**
 * `target` as a URL under the API base: a path (`/repos/a/b`) is appended
 * to the base, an absolute URL (a next page the forge linked) is taken as
 * it is. Refused when the result leaves the base's origin or path, however
 * it was spelt (`..`, `%2e%2e`, `//host`, another scheme or port): the
 * credential goes to the API and nowhere else.
 */
export function apiURL(connection: ForgeConnection, target: string): URL | undefined {
  const absolute = /^[a-z][a-z\d+.-]*:/i.test(target);
  const url = URL.parse(absolute ? target : `${connection.apiBase}${target}`);
  const base = new URL(connection.apiBase);
  if (!url || url.username || url.password || url.origin !== base.origin) return undefined;
  return withSlash(url.pathname).startsWith(withSlash(base.pathname)) ? url : undefined;
}

/**
 * One request to the forge's API: no redirect followed (a 3xx is a
 * ForgeRedirectError), bounded in time and in response size. An error
 * status is returned, not thrown, with its body redacted, so octokit can
 * still read GitHub's status while the text it quotes carries no secret.
 */
export async function forgeSend(
  connection: ForgeConnection,
  method: string,
  target: string,
  request: ForgeRequest = {},
): Promise<ForgeResponse> {
  const url = apiURL(connection, target);
  const shown = url?.pathname ?? URL.parse(target)?.pathname ?? target.split('?')[0] ?? '';
  const details: ForgeErrorDetails = { forge: connection.forge, method, path: shown };
  if (!url) throw new ForgeError(details, `refused: not under the API at ${connection.apiBase}`);
  const headers = request.headers ?? {};
  const secrets = [...connection.secrets, ...credentialsIn(headers)];
  try {
    const response = await fetch(url, {
      method,
      headers,
      body: request.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(connection.timeoutMs),
    });
    // From here on an error names the status too (a body too large, or too slow).
    details.status = response.status;
    if (response.status >= 300 && response.status < 400) {
      await response.body?.cancel();
      const location = response.headers.get('location');
      throw new ForgeRedirectError(
        details,
        location ? URL.parse(location, url.href)?.href : undefined,
      );
    }
    const body = await readBounded(response, connection.maxResponseBytes);
    const safe =
      response.status >= 400 ? Buffer.from(redact(body.toString('utf8'), secrets)) : body;
    return { status: response.status, headers: response.headers, body: safe };
  } catch (error) {
    throw asForgeError(error, details, connection, secrets);
  }
}

function asForgeError(
  error: unknown,
  details: ForgeErrorDetails,
  connection: ForgeConnection,
  secrets: readonly string[],
): ForgeError {
  if (error instanceof ForgeError) return error;
  if (error instanceof TooLargeError) {
    return new ForgeError(details, `answered more than ${connection.maxResponseBytes} bytes`);
  }
  if (error instanceof Error && error.name === 'TimeoutError') {
    return new ForgeError(details, `no answer within ${connection.timeoutMs / 1000} s`);
  }
  const cause = error instanceof Error ? (error.cause ?? error) : error;
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new ForgeError(details, `cannot reach the API: ${redact(reason, secrets)}`);
}

/** A ForgeError for an error status, quoting the forge's (already redacted) message. */
function statusError(
  connection: ForgeConnection,
  method: string,
  target: string,
  response: ForgeResponse,
): ForgeError {
  const path = apiURL(connection, target)?.pathname ?? target;
  const message = redact(forgeMessage(response.body.toString('utf8')), connection.secrets);
  return new ForgeError(
    { forge: connection.forge, method, path, status: response.status },
    message,
  );
}

/** A JSON answer and the headers that page it. */
export interface ForgeAnswer {
  data: unknown;
  headers: Headers;
}

/**
 * The most pages one listing may take. Callers stop sooner (at their own
 * count of comments or files); this only ends a forge whose next link
 * never runs out, such as one that points at itself.
 */
const MAX_PAGES = 100;

/** JSON requests with a fixed credential header, for the clients that need no SDK. */
export class ForgeHttp {
  readonly connection: ForgeConnection;
  private readonly auth: Record<string, string>;

  constructor(connection: ForgeConnection, auth: Record<string, string>) {
    this.connection = connection;
    this.auth = auth;
  }

  private details(method: string, target: string, status?: number): ForgeErrorDetails {
    const path = apiURL(this.connection, target)?.pathname ?? target;
    return {
      forge: this.connection.forge,
      method,
      path,
      ...(status === undefined ? {} : { status }),
    };
  }

  /** A request with an optional JSON body; the answer's JSON, unchecked (a write's answer is not read). */
  async json(method: string, target: string, body?: unknown): Promise<ForgeAnswer> {
    const headers: Record<string, string> = { accept: 'application/json', ...this.auth };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const request = body === undefined ? { headers } : { headers, body: JSON.stringify(body) };
    const response = await forgeSend(this.connection, method, target, request);
    if (response.status >= 400) throw statusError(this.connection, method, target, response);
    const text = response.body.toString('utf8');
    try {
      return { data: text ? (JSON.parse(text) as unknown) : undefined, headers: response.headers };
    } catch {
      throw new ForgeError(
        this.details(method, target, response.status),
        'answered something that is not JSON',
      );
    }
  }

  /** A GET whose answer must have `schema`'s shape; anything else is the forge's error, not ours. */
  async read<T>(target: string, schema: z.ZodType<T>): Promise<{ value: T; headers: Headers }> {
    const answer = await this.json('GET', target);
    const parsed = schema.safeParse(answer.data);
    if (parsed.success) return { value: parsed.data, headers: answer.headers };
    const where = parsed.error.issues.map((i) => i.path.join('.') || 'the answer').join(', ');
    throw new ForgeError(this.details('GET', target), `answered an unexpected shape (at ${where})`);
  }

  /**
   * Each page of a listing from `first` on, in `schema`'s shape; `next`
   * names the page after (from a header, or a field of the page).
   */
  async *pages<T>(
    first: string,
    schema: z.ZodType<T>,
    next: (page: T, headers: Headers) => string | undefined,
  ): AsyncGenerator<T> {
    let target: string | undefined = first;
    for (let page = 0; target; page++) {
      if (page === MAX_PAGES)
        throw new ForgeError(this.details('GET', first), `more than ${MAX_PAGES} pages`);
      const { value, headers } = await this.read(target, schema);
      yield value;
      target = next(value, headers);
    }
  }
}

/** The next page of a `Link: <…>; rel="next"` header (GitLab, Gitea). */
export function nextLink(_page: unknown, headers: Headers): string | undefined {
  const link = headers.get('link');
  if (!link) return undefined;
  for (const part of link.split(',')) {
    const match = /<([^>]*)>\s*;.*\brel="?next"?/.exec(part);
    if (match) return match[1];
  }
  return undefined;
}
