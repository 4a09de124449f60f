import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DriftlessEvent } from '../../shared/observability/events.ts';
import { httpNotifier, notifyURL } from '../../shared/observability/http-notifier.ts';

const event: DriftlessEvent = {
  detailType: 'Sync Failed',
  detail: {
    app: 'web',
    project: 'default',
    cluster: 'cluster-a',
    revision: 'a'.repeat(40),
    trigger: { kind: 'webhook', by: 'gitea' },
    status: 'Failed',
    health: 'Unknown',
    counts: {},
    error: 'render: boom',
  },
};

function listen(handler: Parameters<typeof createServer>[1]): Promise<Server> {
  const server = createServer(handler);
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok(server)));
}
const urlOf = (server: Server, path = '/') =>
  `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`;

describe('serve --notify: where events may go', () => {
  it.each([
    ['http://hooks.example/x', /plain http is allowed to loopback only/],
    ['ftp://127.0.0.1/x', /ftp:\/\/ is not http/],
    ['https://user:hunter2@hooks.example/x', /must not carry credentials/],
    ['not a url', /not a URL/],
  ])('refuses %s', (value, why) => {
    expect(() => notifyURL(value)).toThrow(why);
    try {
      notifyURL(value);
    } catch (err) {
      expect((err as Error).message).not.toContain('hunter2');
    }
  });

  it('accepts https anywhere and http to loopback', () => {
    expect(notifyURL('https://hooks.example/x').host).toBe('hooks.example');
    expect(notifyURL('http://127.0.0.1:9/x').port).toBe('9');
    expect(notifyURL('http://localhost/x').hostname).toBe('localhost');
  });
});

describe('serve --notify: delivery', () => {
  let target: Server;
  let elsewhere: Server;
  let redirecting: Server;
  let failing: Server;
  const received: { path: string; body: unknown }[] = [];
  const reachedElsewhere: string[] = [];

  beforeAll(async () => {
    target = await listen((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push({ path: req.url ?? '', body: JSON.parse(body) });
        res.writeHead(204).end();
      });
    });
    elsewhere = await listen((req, res) => {
      reachedElsewhere.push(req.url ?? '');
      res.writeHead(204).end();
    });
    redirecting = await listen((_req, res) =>
      res.writeHead(307, { location: urlOf(elsewhere, '/stolen') }).end(),
    );
    failing = await listen((_req, res) => res.writeHead(500).end());
  });
  afterAll(async () => {
    for (const s of [target, elsewhere, redirecting, failing])
      await new Promise((ok) => s.close(ok));
  });

  it('posts the event as EventBridge carries it', async () => {
    await httpNotifier({ url: urlOf(target, '/events') }).publish([event]);
    expect(received).toEqual([
      {
        path: '/events',
        body: { source: 'driftless', 'detail-type': 'Sync Failed', detail: event.detail },
      },
    ]);
  });

  it('does not follow a redirect, and a receiver that fails costs a log line, not an exception', async () => {
    const logged: string[] = [];
    const log = (line: string) => logged.push(line);
    await httpNotifier({ url: urlOf(redirecting), log }).publish([event]);
    await httpNotifier({ url: urlOf(failing, '/services/T0/B0/s3cr3t'), log }).publish([event]);
    await httpNotifier({ url: 'http://127.0.0.1:1/closed', log, timeoutMs: 1_000 }).publish([
      event,
    ]);
    expect(reachedElsewhere).toEqual([]);
    expect(logged).toHaveLength(3);
    expect(logged[0]).toMatch(/Sync Failed answered 307/);
    expect(logged[1]).toMatch(/Sync Failed answered 500/);
    // A Slack webhook's path is its secret: logs name the origin only.
    expect(logged.join('\n')).not.toContain('s3cr3t');
    expect(logged[2]).toMatch(/not delivered/);
  });
});
