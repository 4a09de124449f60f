import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitUntil } from '../harness/net.ts';
import { chromiumPath } from '../helpers/chromium.ts';
import { startGuardedServe, type GuardedServe } from './guarded-serve.ts';

/**
 * What a hostile page does with fetch(): each attempt names itself in the
 * query, so serve's log shows which of them arrived and how each was answered.
 * A result is what the page could learn: an opaque response, a readable
 * status (and body), or the TypeError of a request the browser blocked.
 */
const ATTACKS = `
async function attempt(target, id, path, init) {
  try {
    const r = await fetch(target + path + '?attempt=' + id, init);
    return r.type === 'opaque' ? 'opaque' : 'status ' + r.status + ' ' + (await r.text());
  } catch (e) {
    return e.name;
  }
}
async function attackAll(target, app, ids) {
  const post = (headers, body) => ({ method: 'POST', headers, body });
  const json = { 'content-type': 'application/json' };
  const all = {
    'fetch-text-no-cors': ['/apps/' + app + '/sync', { ...post({ 'content-type': 'text/plain' }, 'x'), mode: 'no-cors' }],
    'fetch-text': ['/apps/' + app + '/sync', post({ 'content-type': 'text/plain' }, 'x')],
    'fetch-form': ['/apps/' + app + '/suspend', post({ 'content-type': 'application/x-www-form-urlencoded' }, 'reason=pwned')],
    'fetch-json': ['/apps/' + app + '/suspend', post(json, '{"reason":"pwned"}')],
    'fetch-json-credentials': ['/apps/' + app + '/sync', { ...post(json, '{}'), credentials: 'include' }],
    'fetch-bearer-guess': ['/apps/' + app + '/sync', post({ authorization: 'Bearer guess' }, '')],
    'fetch-read-apps': ['/apps', {}],
  };
  const results = {};
  for (const id of ids) results[id] = await attempt(target, id, ...all[id]);
  return results;
}`;

function attackerPage(servePort: number, app: string): string {
  const action = (id: string) => `http://127.0.0.1:${servePort}/apps/${app}/sync?attempt=${id}`;
  return `<!doctype html><meta charset="utf-8"><title>attacker</title>
<iframe name="sink-urlencoded"></iframe><iframe name="sink-text"></iframe>
<form id="form-urlencoded" method="post" action="${action('form-urlencoded')}" target="sink-urlencoded"><input name="reason" value="pwned"></form>
<form id="form-text" method="post" enctype="text/plain" action="${action('form-text')}" target="sink-text"><input name="reason" value="pwned"></form>
<script>${ATTACKS}
function submitForms() {
  for (const id of ['form-urlencoded', 'form-text']) document.getElementById(id).submit();
}</script>`;
}

describe('driftless serve against a real browser (Chromium, headless)', () => {
  let serve: GuardedServe;
  let attacker: Server;
  let attackerPort: number;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    serve = await startGuardedServe('sec-browser');
    attacker = createServer((_req, res) =>
      res.writeHead(200, { 'content-type': 'text/html' }).end(attackerPage(serve.port, serve.app)),
    );
    await new Promise<void>((ok) => attacker.listen(0, '127.0.0.1', ok));
    attackerPort = (attacker.address() as AddressInfo).port;
    browser = await chromium.launch({
      executablePath: chromiumPath(),
      timeout: 30_000,
      args: [
        // Both names resolve to 127.0.0.1, as a rebinding attacker's own name
        // does once its DNS answer changes.
        '--host-resolver-rules=MAP attacker.test 127.0.0.1, MAP evil.test 127.0.0.1',
        // Chromium's Local Network Access checks stop a page from a public
        // address (the rebinding page here) reaching 127.0.0.1 before serve
        // sees the request; other browsers, older ones, and a user who grants
        // the permission let it through, so serve's own checks must refuse it.
        '--disable-features=LocalNetworkAccessChecks',
      ],
    });
    page = await browser.newPage();
    page.setDefaultTimeout(10_000);
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise((ok) => attacker?.close(ok));
    await serve?.stop();
  });

  /** Runs the page's attacks on `target` (empty: the page's own origin); the project's TypeScript has no DOM types, so it is called by name. */
  function attackAll(target: string, ids: string[]): Promise<Record<string, string>> {
    return page.evaluate<Record<string, string>>(
      `attackAll(${JSON.stringify(target)}, ${JSON.stringify(serve.app)}, ${JSON.stringify(ids)})`,
    );
  }

  /** Waits for serve's log to show that the request tagged `id` arrived and was refused with `status`. */
  async function refusedAtServe(id: string, status: number, method: string): Promise<void> {
    await waitUntil(
      `serve to refuse attempt ${id}`,
      async () =>
        serve
          .refusals()
          .some(
            (line) =>
              line.includes(`refused ${status} ${method} `) && line.includes(`?attempt=${id}:`),
          ),
      { timeoutMs: 5_000, intervalMs: 50 },
    );
  }

  it('refuses a page on another origin: fetch() POSTs as text/plain, form and JSON, with and without credentials, and form submissions', async () => {
    await page.goto(`http://attacker.test:${attackerPort}/`);
    const ids = [
      'fetch-text-no-cors',
      'fetch-text',
      'fetch-form',
      'fetch-json',
      'fetch-json-credentials',
      'fetch-bearer-guess',
      'fetch-read-apps',
    ];
    const results = await attackAll(`http://127.0.0.1:${serve.port}`, ids);
    // The page learns nothing: not even an opaque no-cors answer reaches it
    // (Cross-Origin-Resource-Policy: same-origin), and without CORS headers
    // every other answer is withheld from it.
    expect(results).toEqual({
      'fetch-text-no-cors': 'TypeError',
      'fetch-text': 'TypeError',
      'fetch-form': 'TypeError',
      'fetch-json': 'TypeError',
      'fetch-json-credentials': 'TypeError',
      'fetch-bearer-guess': 'TypeError',
      'fetch-read-apps': 'TypeError',
    });
    // Simple requests arrive and are refused; the others never get past
    // their preflight, which is refused too.
    await refusedAtServe('fetch-text-no-cors', 403, 'POST');
    await refusedAtServe('fetch-text', 403, 'POST');
    await refusedAtServe('fetch-form', 403, 'POST');
    await refusedAtServe('fetch-json', 403, 'OPTIONS');
    await refusedAtServe('fetch-json-credentials', 403, 'OPTIONS');
    await refusedAtServe('fetch-bearer-guess', 403, 'OPTIONS');
    await refusedAtServe('fetch-read-apps', 403, 'GET');

    await page.evaluate('submitForms()');
    await refusedAtServe('form-urlencoded', 403, 'POST');
    await refusedAtServe('form-text', 403, 'POST');
    expect(serve.refusals().join('\n')).not.toMatch(
      /refused \d+ POST \S+\?attempt=(fetch-json|fetch-json-credentials|fetch-bearer-guess):/,
    );
    await serve.expectUnchanged();
  }, 30_000);

  it('refuses a DNS-rebinding page: served as evil.test:<serve port>, its same-origin requests reach serve under Host evil.test and get 421', async () => {
    const origin = `http://evil.test:${serve.port}`;
    // The attacker's page, as its own server sent it before the DNS answer
    // changed; every later request goes to 127.0.0.1, i.e. to serve.
    await page.route(`${origin}/`, (route) =>
      route.fulfill({
        contentType: 'text/html',
        body: `<!doctype html><script>${ATTACKS}</script>`,
      }),
    );
    await page.goto(`${origin}/`);
    const results = await attackAll('', ['fetch-text', 'fetch-json', 'fetch-read-apps']);
    // Same-origin now, so the page reads every answer: each is the refusal.
    for (const [id, result] of Object.entries(results)) {
      expect(result, id).toMatch(/^status 421 .*evil\.test/);
      expect(result, id).not.toContain('"apps"');
    }
    await refusedAtServe('fetch-text', 421, 'POST');
    await refusedAtServe('fetch-json', 421, 'POST');
    await refusedAtServe('fetch-read-apps', 421, 'GET');

    // A plain navigation under the rebound name, as a user would load it.
    const loaded = await page.goto(`${origin}/apps/${serve.app}?attempt=navigate`);
    expect(loaded?.status()).toBe(421);
    expect(await loaded?.text()).toContain('evil.test');
    await refusedAtServe('navigate', 421, 'GET');
    await serve.expectUnchanged();
  }, 30_000);

  it('changed nothing with any request the browser made, while the same sync with the secret applies the pending commit', async () => {
    await sleep(2_000);
    await serve.expectUnchanged();
    const ms = await serve.syncWithSecret();
    console.log(`[security] a sync requested with the secret was live ${ms} ms later`);
  }, 30_000);
});
