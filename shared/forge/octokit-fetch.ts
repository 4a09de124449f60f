import { forgeSend, type ForgeConnection } from './forge-http.ts';

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
