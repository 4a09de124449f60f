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
    const answered = { ...details, status: response.status };
    if (response.status >= 300 && response.status < 400) {
      await response.body?.cancel();
      const location = response.headers.get('location');
      throw new ForgeRedirectError(
        answered,
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
export function statusError(
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

/** Statuses whose Response may not carry a body. */
const NULL_BODY = new Set([101, 204, 205, 304]);

/**
 * forgeSend as a fetch, for octokit's `request.fetch`: octokit asks fetch
 * to follow redirects (it passes no `redirect`), and a redirect that stays
 * on the origin keeps the token, so every request it makes goes through
 * the same refusals as the plain clients' requests.
 */
export function forgeFetch(connection: ForgeConnection): typeof fetch {
  return async (input, init) => {
    if (input instanceof Request) throw new TypeError('forgeFetch takes a URL, not a Request');
    if (init?.body !== undefined && init.body !== null && typeof init.body !== 'string') {
      throw new TypeError('forgeFetch sends string bodies only');
    }
    const headers = Object.fromEntries(new Headers(init?.headers).entries());
    const method = init?.method ?? 'GET';
    const response = await forgeSend(connection, method, String(input), {
      headers,
      ...(init?.body ? { body: init.body } : {}),
    });
    const body = NULL_BODY.has(response.status) ? null : new Uint8Array(response.body);
    return new Response(body, { status: response.status, headers: response.headers });
  };
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
      const path = apiURL(this.connection, target)?.pathname ?? target;
      const details = { forge: this.connection.forge, method, path, status: response.status };
      throw new ForgeError(details, 'answered something that is not JSON');
    }
  }

  /**
   * Each page of a listing from `first` on, `next` naming the page after
   * an answer (a header, or a field of the body); the pages are the
   * answers' JSON.
   */
  async *pages(
    first: string,
    next: (answer: ForgeAnswer) => string | undefined,
  ): AsyncGenerator<unknown> {
    let target: string | undefined = first;
    for (let page = 0; target; page++) {
      if (page === MAX_PAGES) {
        const path = apiURL(this.connection, first)?.pathname ?? first;
        const details = { forge: this.connection.forge, method: 'GET', path };
        throw new ForgeError(details, `more than ${MAX_PAGES} pages`);
      }
      const answer = await this.json('GET', target);
      yield answer.data;
      target = next(answer);
    }
  }
}

/** The next page of a `Link: <…>; rel="next"` header (GitLab, Gitea). */
export function nextLink({ headers }: ForgeAnswer): string | undefined {
  const link = headers.get('link');
  if (!link) return undefined;
  for (const part of link.split(',')) {
    const match = /<([^>]*)>\s*;.*\brel="?next"?/.exec(part);
    if (match) return match[1];
  }
  return undefined;
}
