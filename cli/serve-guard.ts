import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export interface Refusal {
  statusCode: 401 | 403 | 421;
  message: string;
}

export interface ServeGuard {
  /**
   * Refuses what only a web page sends: a Host that is not this server's (a
   * DNS-rebinding page reaches 127.0.0.1 under its own name), and any
   * cross-origin request (a page may POST text/plain or a form anywhere
   * without a CORS preflight). The CLI, curl and webhook senders send no
   * Origin and no Sec-Fetch-Site.
   */
  refuseForeign(headers: IncomingHttpHeaders): Refusal | undefined;
  /** Refuses a request that carries neither this run's secret as `Authorization: Bearer` nor a session cookie of this run. */
  refuseWithoutSecret(headers: IncomingHttpHeaders): Refusal | undefined;
}

export interface ServeGuardOptions {
  /** The address serve listens on (`--host`). */
  listenHost: string;
  port: number;
  secret: string;
  /** Where the secret is, for the message that refuses a request without it. */
  secretFile: string;
  /** Whether a Cookie header carries a browser session of this run (serve-login.ts). */
  hasSession?: (cookieHeader: string | undefined) => boolean;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** The Host values a client of this server sends: a loopback name or the listen address, with the port. */
function allowedHosts(listenHost: string, port: number): string[] {
  const names = [
    '127.0.0.1',
    'localhost',
    '[::1]',
    listenHost.includes(':') ? `[${listenHost}]` : listenHost,
  ];
  // Clients leave out the default port.
  const suffixes = port === 80 ? [':80', ''] : [`:${port}`];
  return [...new Set(names.map((n) => n.toLowerCase()))].flatMap((n) =>
    suffixes.map((s) => `${n}${s}`),
  );
}

export function serveGuard(options: ServeGuardOptions): ServeGuard {
  const hosts = allowedHosts(options.listenHost, options.port);
  const secretDigest = digest(options.secret);
  return {
    refuseForeign(headers) {
      const host = headers.host?.toLowerCase();
      if (!host || !hosts.includes(host))
        return {
          statusCode: 421,
          message: `this server answers to Host ${hosts.join(', ')} only, not ${JSON.stringify(host ?? '')}`,
        };
      // Only "same-origin" and "none" (typed into the address bar) are a
      // page's own requests; a repeated header arrives joined, and is refused.
      const site = headers['sec-fetch-site'];
      if (site !== undefined && site !== 'same-origin' && site !== 'none')
        return {
          statusCode: 403,
          message: `cross-origin requests are refused (Sec-Fetch-Site: ${String(site)})`,
        };
      const origin = headers.origin;
      if (origin !== undefined && origin !== `http://${host}`)
        return {
          statusCode: 403,
          message: `cross-origin requests are refused (Origin: ${origin})`,
        };
      return undefined;
    },
    refuseWithoutSecret(headers) {
      const sent = /^Bearer (.+)$/i.exec(headers.authorization ?? '')?.[1] ?? '';
      // Digests are of equal length, so the comparison takes the same time
      // however much of the secret a guess gets right.
      if (timingSafeEqual(digest(sent), secretDigest)) return undefined;
      if (options.hasSession?.(headers.cookie)) return undefined;
      return {
        statusCode: 401,
        message: `the API needs this run's secret: Authorization: Bearer <contents of ${options.secretFile}> (a browser signs in at /login)`,
      };
    },
  };
}
