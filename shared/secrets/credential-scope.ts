import * as z from 'zod';

/**
 * Where one set of Git credentials may be sent: one origin (scheme, host and
 * port, as the WHATWG URL parser normalises them: lower case, default port
 * dropped) and, under it, a path prefix that ends at a segment boundary.
 */
export interface CredentialScope {
  origin: string;
  /** Always ends with `/`, so `/acme/` covers `/acme/repo.git` and never `/acme-evil/repo.git`. */
  path: string;
}

/**
 * Loopback hosts, the only ones credentials may reach over plain http (local
 * servers, tests). The parser has already canonicalised the host: any IPv4
 * spelling becomes dotted decimal, an IPv6 address its shortest form.
 */
export function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname);
}

const withSlash = (path: string): string => (path.endsWith('/') ? path : `${path}/`);

/**
 * A credential prefix from configuration (`https://github.com/acme`), parsed
 * into the scope it grants. Refused: anything but http(s), embedded
 * credentials, a query or fragment (a prefix names repositories, not
 * requests), and plain http to a host that is not loopback, where the token
 * would cross the network in clear text.
 */
export const CredentialScope = z.string().transform((value, ctx): CredentialScope => {
  const url = URL.parse(value);
  // Shown without user info, query or fragment: any of them may hold a token.
  const refuse = (why: string) => {
    const shown = url ? ` "${url.protocol}//${url.host}${url.pathname}"` : '';
    ctx.addIssue({ code: 'custom', message: `credential prefix${shown} ${why}` });
    return z.NEVER;
  };
  if (!url) return refuse('is not a URL');
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return refuse('is not https://');
  if (url.username || url.password) return refuse('must not embed credentials');
  if (url.search || url.hash) return refuse('must not have a query or fragment');
  if (url.protocol === 'http:' && !isLoopback(url.hostname)) {
    return refuse('is plain http://: credentials go over https only (http to loopback aside)');
  }
  return { origin: url.origin, path: withSlash(url.pathname) };
});

/**
 * isomorphic-git's Node client hands the URL string to simple-get, which
 * parses it with the legacy `url.parse()`, and the two parsers disagree on
 * some spellings (`https://github.com%2eevil.net/` is github.com.evil.net to
 * one, github.com to the other). So a host is trusted only when it is written
 * exactly as the WHATWG parser reads it, up to case and a default port.
 */
function hostAsWritten(raw: string, url: URL): boolean {
  const written = /^[a-z][a-z\d+.-]*:\/\/([^/?#\\]*)/i.exec(raw)?.[1]?.toLowerCase();
  const defaultPort = url.protocol === 'https:' ? ':443' : ':80';
  return written === url.host || written === `${url.host}${defaultPort}`;
}

/** Whether credentials of `scope` may be sent to the repository at `repoURL`. */
export function inScope(scope: CredentialScope, repoURL: string): boolean {
  const url = URL.parse(repoURL);
  if (!url || url.username || url.password || !hostAsWritten(repoURL, url)) return false;
  return url.origin === scope.origin && withSlash(url.pathname).startsWith(scope.path);
}
