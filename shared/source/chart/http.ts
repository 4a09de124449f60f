import { readBounded } from '../read-bounded.ts';
import type { AuthCallback } from '../remote.ts';

export interface ChartHttpOptions {
  auth?: AuthCallback | undefined;
  /** The repository URL: credentials are sent only to URLs under it (same origin and path prefix). */
  scope: string;
  maxBytes: number;
  timeoutMs: number;
  headers?: Record<string, string>;
}

export interface ChartHttpResponse {
  status: number;
  headers: Headers;
  body: Buffer;
  /** The URL that answered, after redirects. */
  url: string;
}

const MAX_REDIRECTS = 5;

/** `https://h/charts/` covers `https://h/charts/x.tgz`, not `https://h/chartsx` or another port. */
function inScope(scope: string, url: string): boolean {
  const a = new URL(scope);
  const b = new URL(url);
  const prefix = a.pathname.endsWith('/') ? a.pathname : `${a.pathname}/`;
  return a.origin === b.origin && (b.pathname === a.pathname || b.pathname.startsWith(prefix));
}

/**
 * GET of an index or chart, following redirects by hand so credentials go
 * only where the repository's URL covers them: an index may point charts at
 * any host (absolute `urls`), and a redirect may lead anywhere. Bodies are
 * bounded while they arrive.
 */
export async function chartGet(url: string, options: ChartHttpOptions): Promise<ChartHttpResponse> {
  let current = url;
  for (let hop = 0; ; hop++) {
    const headers: Record<string, string> = { ...options.headers };
    const credentials = inScope(options.scope, current) ? await options.auth?.(current) : undefined;
    if (credentials)
      headers.authorization = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
    const response = await fetch(current, {
      headers,
      redirect: 'manual',
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      await response.body?.cancel();
      if (hop >= MAX_REDIRECTS) {
        const u = new URL(url);
        throw new Error(`more than ${MAX_REDIRECTS} redirects from ${u.origin}${u.pathname}`);
      }
      current = new URL(location, current).toString();
      continue;
    }
    return {
      status: response.status,
      headers: response.headers,
      body: await readBounded(response, options.maxBytes),
      url: current,
    };
  }
}
