import { describe, expect, it } from 'vitest';
import { serveGuard } from '../../cli/serve-guard.ts';

const secret = 'Zm9vYmFyLXNlY3JldC1mb3ItdGVzdHMtb25seS0xMjM0';
const guard = serveGuard({
  listenHost: '127.0.0.1',
  port: 8080,
  secret,
  secretFile: '/state/api-secret',
});

describe('serve guard: Host, Origin and the per-run secret', () => {
  it.each(['127.0.0.1:8080', 'localhost:8080', 'LOCALHOST:8080', '[::1]:8080'])(
    'accepts Host %s',
    (host) => expect(guard.refuseForeign({ host })).toBeUndefined(),
  );

  it.each([
    'evil.test:8080',
    '127.0.0.1:8081',
    '127.0.0.1',
    'localhost.evil.test:8080',
    '127.0.0.1:8080.evil.test',
    '',
  ])('refuses Host %j with 421', (host) =>
    expect(guard.refuseForeign({ host })?.statusCode).toBe(421),
  );

  it('refuses a request without Host', () => expect(guard.refuseForeign({})?.statusCode).toBe(421));

  it('accepts the --host value as a name, bracketing an IPv6 address, and a bare name on port 80', () => {
    const named = serveGuard({ listenHost: 'devbox.lan', port: 80, secret, secretFile: 'f' });
    expect(named.refuseForeign({ host: 'devbox.lan' })).toBeUndefined();
    expect(named.refuseForeign({ host: 'devbox.lan:80' })).toBeUndefined();
    expect(named.refuseForeign({ host: 'localhost' })).toBeUndefined();
    const v6 = serveGuard({ listenHost: '::1', port: 9000, secret, secretFile: 'f' });
    expect(v6.refuseForeign({ host: '[::1]:9000' })).toBeUndefined();
    expect(v6.refuseForeign({ host: '::1:9000' })?.statusCode).toBe(421);
  });

  it('accepts its own origin and requests a page makes to itself or from the address bar', () => {
    const host = '127.0.0.1:8080';
    expect(guard.refuseForeign({ host, origin: 'http://127.0.0.1:8080' })).toBeUndefined();
    expect(guard.refuseForeign({ host, 'sec-fetch-site': 'same-origin' })).toBeUndefined();
    expect(guard.refuseForeign({ host, 'sec-fetch-site': 'none' })).toBeUndefined();
  });

  it.each([
    { origin: 'http://evil.test' },
    { origin: 'null' },
    { origin: 'http://localhost:8080' },
    { origin: 'https://127.0.0.1:8080' },
    { origin: 'http://127.0.0.1:8080, http://127.0.0.1:8080' },
    { 'sec-fetch-site': 'cross-site' },
    { 'sec-fetch-site': 'same-site' },
    { 'sec-fetch-site': 'same-origin, cross-site' },
  ])('refuses a cross-origin request (%j) with 403', (headers) =>
    expect(guard.refuseForeign({ host: '127.0.0.1:8080', ...headers })?.statusCode).toBe(403),
  );

  it('accepts the secret as a bearer token, and nothing else', () => {
    expect(guard.refuseWithoutSecret({ authorization: `Bearer ${secret}` })).toBeUndefined();
    expect(guard.refuseWithoutSecret({ authorization: `bearer ${secret}` })).toBeUndefined();
    for (const authorization of [
      undefined,
      '',
      'Bearer ',
      `Bearer ${secret.slice(0, -1)}`,
      `Bearer ${secret}x`,
      `Bearer ${secret} `,
      `Basic ${secret}`,
      secret,
    ]) {
      const refusal = guard.refuseWithoutSecret(
        authorization === undefined ? {} : { authorization },
      );
      expect(refusal?.statusCode, String(authorization)).toBe(401);
      expect(refusal?.message).toContain('/state/api-secret');
      expect(refusal?.message).not.toContain(secret);
    }
  });

  it("accepts a browser session only as this run's login module judges the Cookie header", () => {
    const seen: (string | undefined)[] = [];
    const withSessions = serveGuard({
      listenHost: '127.0.0.1',
      port: 8080,
      secret,
      secretFile: '/state/api-secret',
      hasSession: (cookie) => {
        seen.push(cookie);
        return cookie === 'driftless-session-8080=good';
      },
    });
    expect(
      withSessions.refuseWithoutSecret({ cookie: 'driftless-session-8080=good' }),
    ).toBeUndefined();
    expect(
      withSessions.refuseWithoutSecret({ cookie: 'driftless-session-8080=bad' })?.statusCode,
    ).toBe(401);
    expect(withSessions.refuseWithoutSecret({})?.message).toContain('a browser signs in at /login');
    expect(seen).toEqual(['driftless-session-8080=good', 'driftless-session-8080=bad', undefined]);
    // Without a login module, a cookie is nothing.
    expect(guard.refuseWithoutSecret({ cookie: 'driftless-session-8080=good' })?.statusCode).toBe(
      401,
    );
  });
});
