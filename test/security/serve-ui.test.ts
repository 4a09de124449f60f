import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveSecretFile } from '../../cli/serve-secret.ts';
import { startGuardedServe, type GuardedServe, type RawResponse } from './guarded-serve.ts';

/** A response that lets a browser share nothing: no CORS header at all. */
function expectNoCors(response: RawResponse): void {
  expect(Object.keys(response.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
}

/**
 * Sends raw bytes and resolves with the status line of whatever came back
 * before the server closed the connection: an oversized request is answered
 * and then cut off, and the client may still be writing when the cut lands.
 */
function statusOfRaw(port: number, head: string, body = ''): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.on('data', (d: Buffer) => (received += d.toString('latin1')));
    const done = () =>
      resolve(
        /^HTTP\/1\.1 (\d{3} [^\r]*)/.exec(received)?.[1] ?? `nothing (${received.length} bytes)`,
      );
    socket.on('close', done);
    socket.on('error', () => socket.destroy());
    socket.write(head);
    socket.end(body);
  });
}

describe("driftless serve's web UI endpoints refuse what an attacker sends (built bundle, harness cluster)", () => {
  let serve: GuardedServe;
  let code: string;
  let secret: string;
  let host: string;
  let cookieName: string;
  /** A session cookie obtained the honest way (the run's secret), for the attacks that carry one. */
  let cookie: string;

  const post = (path: string, body: string, headers: Record<string, string> = {}) =>
    serve.raw({
      method: 'POST',
      path,
      body,
      headers: {
        host,
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(body)),
        ...headers,
      },
    });
  const get = (path: string, headers: Record<string, string> = {}) =>
    serve.raw({ method: 'GET', path, headers: { host, ...headers } });

  beforeAll(async () => {
    serve = await startGuardedServe('sec-ui');
    const link = /web UI: http:\/\/127\.0\.0\.1:\d+\/login#(\S+)/.exec(serve.output());
    expect(link, serve.output()).not.toBeNull();
    code = link![1]!;
    secret = readFileSync(serveSecretFile(serve.stateDir), 'utf8').trim();
    host = `127.0.0.1:${serve.port}`;
    cookieName = `driftless-session-${serve.port}`;
    const login = await post('/login', JSON.stringify({ secret }));
    expect(login.status).toBe(204);
    cookie = String(login.headers['set-cookie']).split(';')[0]!;
  });
  afterAll(async () => {
    await serve?.stop();
  });

  it('trades the one-time code once for an HttpOnly SameSite=Strict cookie; a replay gets 401 and no cookie', async () => {
    const first = await post('/login', JSON.stringify({ code }));
    expect(first.status).toBe(204);
    const setCookie = String(first.headers['set-cookie']);
    expect(setCookie).toMatch(
      new RegExp(
        `^${cookieName}=[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Strict; Path=/; Max-Age=43200$`,
      ),
    );
    expect((await get('/apps', { cookie: setCookie.split(';')[0]! })).status).toBe(200);

    const replay = await post('/login', JSON.stringify({ code }));
    expect(replay.status).toBe(401);
    expect(replay.headers['set-cookie']).toBeUndefined();
    expect(JSON.parse(replay.body).message).toMatch(/each code works once/);
    // The code is in the printed link only: no request line, log line or answer ever held it.
    expect(serve.output().split(code).length - 1).toBe(1);
  });

  it('refuses a session cookie sent from another origin, a forged one and one of another port', async () => {
    const refusals: [Record<string, string>, number][] = [
      [{ cookie, origin: 'http://evil.test' }, 403],
      [{ cookie, 'sec-fetch-site': 'cross-site' }, 403],
      // Another port of 127.0.0.1 is the same site, so SameSite sends the cookie along.
      [{ cookie, 'sec-fetch-site': 'same-site', origin: 'http://127.0.0.1:1' }, 403],
      [{ cookie: `${cookieName}=${'A'.repeat(43)}` }, 401],
      [{ cookie: `driftless-session-1=${cookie.split('=')[1]}` }, 401],
    ];
    for (const [headers, status] of refusals) {
      const read = await get('/apps', headers);
      expect(read.status, JSON.stringify(headers)).toBe(status);
      expect(read.body).not.toContain('"apps"');
      expectNoCors(read);
      expect((await post(`/apps/${serve.app}/sync`, '{}', headers)).status).toBe(status);
    }
    await serve.expectUnchanged();
  });

  it('answers 421 to a foreign Host on the page, the sign-in page and the assets', async () => {
    const page = await get('/', { cookie });
    expect(page.status).toBe(200);
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(page.body)?.[1];
    expect(asset).toBeDefined();
    for (const path of ['/', '/index.html', '/login', asset!]) {
      const foreign = await serve.raw({
        method: 'GET',
        path,
        headers: { host: `evil.test:${serve.port}`, cookie },
      });
      expect(foreign.status, path).toBe(421);
      expect(foreign.body).not.toMatch(/<script|<html/);
    }
    const login = await serve.raw({
      method: 'POST',
      path: '/login',
      body: JSON.stringify({ secret }),
      headers: { host, origin: 'http://evil.test', 'content-type': 'application/json' },
    });
    expect(login.status).toBe(403);
    expect(login.headers['set-cookie']).toBeUndefined();
  });

  it('serves no file outside the build, whatever the path', async () => {
    const paths = [
      '/..%2f..%2fetc/passwd',
      '/assets/..%2f..%2f..%2f..%2fetc/passwd',
      '/assets/../../../../etc/passwd',
      '/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
      '/assets/%2e%2e%2f%2e%2e%2fpackage.json',
      '/..\\..\\etc\\passwd',
      '//etc/passwd',
      `/assets/..%2f..%2f.driftless%2fstate%2fapi-secret`,
      '/index.html%00.js',
    ];
    for (const path of paths) {
      for (const headers of [{}, { cookie }] as Record<string, string>[]) {
        const answer = await get(path, headers);
        expect([401, 404], `${path}: ${answer.status}`).toContain(answer.status);
        expect(answer.body).not.toMatch(/root:|"devDependencies"/);
        expect(answer.body).not.toContain(secret);
      }
    }
  });

  it('refuses oversized requests: a login body over 1 KB (413), a URL or header over the server limit (431)', async () => {
    const big = JSON.stringify({ code: 'x'.repeat(2 * 1024 * 1024) });
    const request = (length: string) =>
      `POST /login HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\n${length}\r\nConnection: close\r\n\r\n`;
    expect(await statusOfRaw(serve.port, request(`Content-Length: ${big.length}`), big)).toBe(
      '413 Payload Too Large',
    );
    // Declared by nobody (chunked), sent large: cut off as it arrives.
    const chunk = 'y'.repeat(64 * 1024);
    const chunked = `${(chunk.length + 10).toString(16)}\r\n{"code":"${chunk}"}\r\n0\r\n\r\n`;
    expect(await statusOfRaw(serve.port, request('Transfer-Encoding: chunked'), chunked)).toBe(
      '413 Payload Too Large',
    );
    const get = (path: string, extra = '') =>
      statusOfRaw(
        serve.port,
        `GET ${path} HTTP/1.1\r\nHost: ${host}\r\n${extra}Connection: close\r\n\r\n`,
      );
    expect(await get(`/assets/${'a'.repeat(100_000)}.js`)).toMatch(/^431 /);
    expect(await get('/', `X-Padding: ${'p'.repeat(100_000)}\r\n`)).toMatch(/^431 /);
    // Still serving.
    expect(await get('/login')).toBe('200 OK');
  });

  it('sends its pages and assets with a strict CSP, nosniff and no CORS, and the page only to a signed-in browser', async () => {
    const anonymous = await get('/');
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.location).toBe('/login');
    const page = await get('/', { cookie });
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['content-security-policy']).toContain("default-src 'none'");
    expect(page.headers['content-security-policy']).not.toContain('unsafe');
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expectNoCors(page);
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(page.body)![1]!;
    const script = await get(asset);
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(script.headers['x-content-type-options']).toBe('nosniff');
    expectNoCors(script);
    // The API's JSON answers carry the same headers, and an ETag: the same list again is a 304.
    const api = await get('/apps', { cookie });
    expect(api.headers['x-content-type-options']).toBe('nosniff');
    expectNoCors(api);
    const etag = String(api.headers.etag);
    expect(etag).toMatch(/^"[\w-]{27}"$/);
    const again = await get('/apps', { cookie, 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(again.body).toBe('');
    // A login is JSON: a form or text/plain POST is refused before it is read.
    expect(
      (
        await post('/login', `secret=${secret}`, {
          'content-type': 'application/x-www-form-urlencoded',
        })
      ).status,
    ).toBe(415);
    await serve.expectUnchanged();
  });
});
