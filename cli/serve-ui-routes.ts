import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import * as z from 'zod';
import { SESSION_MS, type ServeLogin } from './serve-login.ts';
import type { UiFile } from './serve-ui-files.ts';

/**
 * Sent with every answer of serve: pages load only this server's own scripts
 * and styles and talk only to it, are framed by nobody, and send no Referer;
 * no answer is sniffed as another type. Serve sends no CORS header at all.
 */
export const SECURITY_HEADERS: OutgoingHttpHeaders = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

/** A login request is a code or a secret of a few dozen characters; anything bigger is refused unread. */
export const MAX_LOGIN_BYTES = 1024;

const LoginBody = z.strictObject({
  code: z.string().min(1).max(200).optional(),
  secret: z.string().min(1).max(200).optional(),
});

export interface UiRoutes {
  /** Answers the request if it is the UI's (its pages, assets and login); false for any other path. */
  handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean>;
}

function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: OutgoingHttpHeaders = {},
) {
  res
    .writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'application/json', ...headers })
    .end(`${JSON.stringify(body)}\n`);
}

function sendFile(res: ServerResponse, file: UiFile, head: boolean): void {
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    'content-type': file.contentType,
    'content-length': file.body.length,
    // Pages are read fresh (they name the current assets); assets never change.
    'cache-control': file.immutable ? 'public, max-age=31536000, immutable' : 'no-store',
  });
  res.end(head ? undefined : file.body);
}

// What an oversized request may still send after its refusal: read and
// dropped, so the client sees the 413 (closing on unread bytes would reset the
// connection and lose the answer), then cut off.
const DRAIN_BYTES = 16 * 1024 * 1024;

/**
 * The request body, or undefined as soon as it passes `limit` bytes. The
 * rest is read and dropped in the background, up to DRAIN_BYTES.
 */
function readLimited(req: IncomingMessage, limit: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > DRAIN_BYTES) req.socket.destroy();
      else if (size > limit) resolve(undefined);
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(size > limit ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** `POST /login`: a one-time code (or the run's secret) for an HttpOnly, SameSite=Strict session cookie. */
async function login(req: IncomingMessage, res: ServerResponse, auth: ServeLogin): Promise<void> {
  if (!/^application\/json\b/i.test(req.headers['content-type'] ?? ''))
    return json(res, 415, { message: 'a login is sent as application/json' });
  const declared = Number(req.headers['content-length'] ?? 0);
  const text = await readLimited(req, declared > MAX_LOGIN_BYTES ? 0 : MAX_LOGIN_BYTES);
  if (text === undefined) {
    res.setHeader('connection', 'close');
    return json(res, 413, { message: `a login request is at most ${MAX_LOGIN_BYTES} bytes` });
  }
  let body: z.output<typeof LoginBody>;
  try {
    body = LoginBody.parse(JSON.parse(text));
  } catch {
    return json(res, 400, { message: 'a login is {"code": "…"} or {"secret": "…"}' });
  }
  const session = auth.redeem(body);
  if (!session)
    return json(res, 401, {
      message:
        'this login code is not valid: each code works once, for the driftless serve that printed it; sign in with the run’s secret, or restart serve for a new link',
    });
  const cookie = `${auth.cookieName}=${session}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${SESSION_MS / 1000}`;
  res.writeHead(204, { ...SECURITY_HEADERS, 'set-cookie': cookie, 'cache-control': 'no-store' });
  res.end();
}

/**
 * The web UI's routes: `/` (the application, for a signed-in browser; others
 * are sent to `/login`), `/login` (the page and its POST), and the built
 * assets. Any other path is left to the API. Without a build, `/` says so.
 */
export function uiRoutes(files: Map<string, UiFile> | undefined, auth: ServeLogin): UiRoutes {
  return {
    async handle(req, res, path) {
      const read = req.method === 'GET' || req.method === 'HEAD';
      if (path === '/login' && req.method === 'POST') return login(req, res, auth).then(() => true);
      const name = path === '/' ? '/index.html' : path === '/login' ? '/login.html' : path;
      const file = files?.get(name);
      if (!read || (!file && path !== '/')) return false;
      if (!file) {
        json(res, 404, { message: 'the web UI is not built: run npm run build' });
        return true;
      }
      if (name === '/index.html' && !auth.hasSession(req.headers.cookie)) {
        res.writeHead(303, { ...SECURITY_HEADERS, location: '/login' }).end();
        return true;
      }
      sendFile(res, file, req.method === 'HEAD');
      return true;
    },
  };
}
