import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cluster } from '../harness/context.ts';
import { commitTree } from '../harness/git-fixtures.ts';
import { waitUntil } from '../harness/net.ts';
import { chromiumPath } from '../helpers/chromium.ts';
import { configMapValue, kubectl } from '../helpers/engine.ts';
import { configMapYaml } from '../helpers/manifests.ts';
import { checkBothThemes, expectAccessible } from './browser.ts';
import { guestbook, startUiServe, type UiServe } from './ui-serve.ts';

const replicas = (app: string) =>
  kubectl(
    cluster('cluster-a'),
    'get',
    '-n',
    app,
    'deployment/guestbook',
    '-o',
    'jsonpath={.spec.replicas}',
  );

describe('the web UI in headless Chromium against driftless serve (harness clusters)', () => {
  let serve: UiServe;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  /** The repository's head after the history test: the rollout application's revision from then on. */
  let head: string;
  /** Console errors of the page: a script or style the CSP blocked would show here. */
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    serve = await startUiServe('ui');
    browser = await chromium.launch({ executablePath: chromiumPath(), timeout: 30_000 });
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.setDefaultTimeout(20_000);
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
  });
  afterAll(async () => {
    await browser?.close();
    await serve?.stop();
  });

  const row = (name: string) =>
    page.getByRole('row').filter({ has: page.getByRole('link', { name, exact: true }) });

  it('signs in with the one-time link and lists the demo application Healthy and Synced', async () => {
    await serve.synced(serve.app, serve.first);
    await page.goto(serve.loginUrl);
    await page.waitForURL(`${serve.base}/`);
    // The code left the address bar before the page was gone: nothing to copy from history.
    expect(await page.evaluate<number>('history.length')).toBeLessThanOrEqual(2);
    const app = row(serve.app);
    await expect.poll(() => app.innerText(), { timeout: 20_000 }).toMatch(/Synced[\s\S]*Healthy/);
    await expect(
      page.getByRole('link', { name: serve.rollout, exact: true }).count(),
    ).resolves.toBe(1);
    const counts = await page.getByLabel('Counts').innerText();
    expect(counts).toMatch(/Applications\s+2/);
    await checkBothThemes(page, 'applications');
  });

  it('after kubectl scale, the application page shows OutOfSync with the replicas diff, and the object tree', async () => {
    await kubectl(
      cluster('cluster-a'),
      'scale',
      '-n',
      serve.app,
      'deployment/guestbook',
      '--replicas=1',
    );
    await page.goto(`${serve.base}/#/apps/${serve.app}`);
    const title = page.getByRole('heading', { level: 1 });
    await expect.poll(() => title.innerText(), { timeout: 30_000 }).toContain('OutOfSync');
    await page.getByRole('heading', { name: /Drifted since/ }).waitFor();
    const diff = page.getByRole('figure').filter({ hasText: 'Deployment' }).first();
    await expect
      .poll(() => diff.innerText(), { timeout: 30_000 })
      .toMatch(/-\s*replicas: 1[\s\S]*\+\s*replicas: 2/);
    await diff.getByRole('button', { name: 'Side by side' }).click();
    const split = diff.locator('table.split');
    expect(await split.getByRole('columnheader').allInnerTexts()).toEqual(['Live', 'Desired']);
    expect(await split.innerText()).toMatch(/replicas: 1\s+\+?\s*replicas: 2/);
    // Deployment → ReplicaSet → Pod, by owner references.
    const owned = page.getByRole('list', { name: 'Owned by Deployment guestbook' });
    await expect.poll(() => owned.innerText(), { timeout: 20_000 }).toMatch(/ReplicaSet[\s\S]*Pod/);
    expect(await page.locator('.tree').innerText()).not.toContain(serve.secret);
    await checkBothThemes(page, 'application');
  });

  it('the sync button shows its dry-run preview first, and syncing repairs the drift', async () => {
    await page.getByRole('button', { name: 'Sync…' }).click();
    const dialog = page.getByRole('dialog');
    await expect
      .poll(() => dialog.innerText(), { timeout: 30_000 })
      .toMatch(/cluster-a: 1 to configure/);
    expect(await dialog.innerText()).toMatch(/replicas: 2/);
    await expectAccessible(page, 'the sync dialog');
    await dialog.getByRole('button', { name: 'Sync now' }).click();
    await page.getByRole('status').filter({ hasText: 'queued' }).waitFor();
    const title = page.getByRole('heading', { level: 1 });
    await expect.poll(() => title.innerText(), { timeout: 30_000 }).toMatch(/Synced/);
    expect(await replicas(serve.app)).toBe('2');
  });

  it("the history page's rollback button rolls back, and the timeline shows it", async () => {
    const second = (head = commitTree(serve.repoPath, 'main', {
      ...guestbook(2, 'hello from v2', serve.secret),
      'rollout/cm.yaml': configMapYaml('settings', 'one'),
    }));
    await serve.synced(serve.app, second);
    await page.goto(`${serve.base}/#/apps/${serve.app}/history`);
    const target = page.getByRole('button', { name: /^Roll back to #1 / });
    await target.waitFor();
    await checkBothThemes(page, 'history');
    await target.click();
    const dialog = page.getByRole('dialog');
    expect(await dialog.innerText()).toContain(`sync revision ${serve.first.slice(0, 7)} again`);
    await dialog.getByRole('button', { name: `Roll back to ${serve.first.slice(0, 7)}` }).click();
    await page.getByRole('status').filter({ hasText: 'rollback' }).waitFor();
    await expect
      .poll(() => page.locator('.timeline').innerText(), { timeout: 30_000 })
      .toMatch(/rollback to #1 by local/);
    await waitUntil(
      'the rolled-back ConfigMap',
      async () =>
        (await configMapValue(cluster('cluster-a'), serve.app, 'guestbook')) === 'hello from v1',
      { timeoutMs: 20_000 },
    );
  });

  it('a rollout application shows its waves, each destination with its revision, bake and alarm states', async () => {
    await page.goto(`${serve.base}/#/apps/${serve.rollout}/rollout`);
    await page.getByRole('heading', { name: 'Wave 0' }).waitFor();
    await page.getByRole('heading', { name: 'Wave 1' }).waitFor();
    const waves = page.locator('.wave');
    await expect
      .poll(() => waves.allInnerTexts(), { timeout: 60_000 })
      .toEqual([
        expect.stringMatching(
          new RegExp(`cluster-a/${serve.rollout}\\s+${head.slice(0, 7)}\\s+Synced\\s+Healthy`),
        ),
        expect.stringMatching(
          new RegExp(
            `cluster-b/${serve.rollout}\\s+${head.slice(0, 7)}\\s+Synced\\s+Healthy[\\s\\S]*${serve.alarm}\\s+OK`,
          ),
        ),
      ]);
    await checkBothThemes(page, 'rollout');
  }, 90_000);

  it('works from the keyboard: / focuses the search, Tab and Enter open an application, Escape closes a dialog; the theme toggle is remembered', async () => {
    await page.goto(`${serve.base}/#/`);
    await row(serve.app).waitFor();
    await page.keyboard.press('/');
    expect(await page.evaluate<string | undefined>('document.activeElement?.id')).toBe('search');
    await page.keyboard.type(`${serve.app}-rollout`);
    await expect.poll(() => page.locator('table.apps tbody tr').count()).toBe(1);
    // From the search field, Tab walks the filters, then reaches the one link left.
    for (let i = 0; i < 10; i++) {
      await page.keyboard.press('Tab');
      if (
        (await page.evaluate<string | undefined>('document.activeElement?.textContent')) ===
        serve.rollout
      )
        break;
    }
    await page.keyboard.press('Enter');
    await page.waitForURL(`${serve.base}/#/apps/${serve.rollout}`);
    const sync = page.getByRole('button', { name: 'Sync…' });
    await sync.focus();
    await page.keyboard.press('Enter');
    await page.getByRole('dialog').waitFor();
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Switch to dark theme' }).click();
    expect(await page.evaluate<string | undefined>('document.documentElement.dataset.theme')).toBe(
      'dark',
    );
    await page.reload();
    await page.getByRole('button', { name: 'Switch to light theme' }).waitFor();
    expect(await page.evaluate<string | undefined>('document.documentElement.dataset.theme')).toBe(
      'dark',
    );
    await page.getByRole('button', { name: 'Switch to light theme' }).click();
  });

  it('the sign-in page refuses the used link again and is accessible; no page hit a CSP violation', async () => {
    const other = await browser.newContext();
    const login = await other.newPage();
    await login.goto(serve.loginUrl);
    await login.getByRole('status').filter({ hasText: 'not valid' }).waitFor();
    expect(login.url()).toBe(`${serve.base}/login`);
    await expectAccessible(login, 'the sign-in page');
    // Without a session, / leads to the sign-in page, and the API answers 401.
    await login.goto(`${serve.base}/`);
    expect(login.url()).toBe(`${serve.base}/login`);
    await other.close();
    expect(consoleErrors.filter((e) => /Content Security Policy/i.test(e))).toEqual([]);
  });
});
