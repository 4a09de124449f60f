import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumPath } from '../helpers/chromium.ts';
import { ensureCliBuilt } from '../helpers/cli.ts';
import { expectAccessible } from './browser.ts';
import { ID_TOKEN, startOidcStandIn, type OidcStandIn } from './oidc-stand-in.ts';

const APPS = [
  {
    name: 'web',
    file: 'web.yaml',
    project: 'team-a',
    cluster: 'prod',
    namespace: 'web',
    state: { syncStatus: 'Synced', health: 'Healthy', syncedRevision: 'a'.repeat(40) },
    syncing: false,
  },
];

describe('the web UI as the construct hosts it: OIDC sign-in with PKCE (stand-in provider and API: Cognito and API Gateway cannot run locally)', () => {
  let site: OidcStandIn;
  let browser: Browser;
  beforeAll(async () => {
    await ensureCliBuilt();
    site = await startOidcStandIn(APPS);
    browser = await chromium.launch({ executablePath: chromiumPath(), timeout: 30_000 });
  });
  afterAll(async () => {
    await browser?.close();
    await site?.stop();
  });

  it('signs in with the authorization code and a S256 verifier, then calls the API with the ID token', async () => {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${site.base}/`);
    await page.getByRole('link', { name: 'web', exact: true }).waitFor({ timeout: 20_000 });
    const [authorize] = site.record.authorizations;
    expect(authorize?.get('response_type')).toBe('code');
    expect(authorize?.get('code_challenge_method')).toBe('S256');
    expect(authorize?.get('redirect_uri')).toBe(`${site.base}/`);
    expect(authorize?.get('scope')).toBe('openid email');
    expect(site.record.tokenRequests.map((t) => t.get('grant_type'))).toEqual([
      'authorization_code',
    ]);
    expect(site.record.apiAuthorizations.every((a) => a === `Bearer ${ID_TOKEN}`)).toBe(true);
    // The code and state left the address bar.
    expect(page.url()).toBe(`${site.base}/`);
    expect(await page.getByRole('row').filter({ hasText: 'web' }).innerText()).toMatch(
      /Synced\s+Healthy/,
    );
    await expectAccessible(page, 'the list signed in through OIDC');
    await page.context().close();
  });

  it('refuses an answer whose state this tab did not send, and trades no code for it', async () => {
    const page = await (await browser.newContext()).newPage();
    const before = site.record.tokenRequests.length;
    await page.goto(`${site.base}/?code=stolen-code&state=forged`);
    await page.getByRole('alert').filter({ hasText: 'state mismatch' }).waitFor();
    expect(site.record.tokenRequests.length).toBe(before);
    expect(page.url()).toBe(`${site.base}/`);
    await page.context().close();
  });

  it('signs out: the tokens are gone and the next visit signs in again', async () => {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${site.base}/`);
    await page.getByRole('link', { name: 'web', exact: true }).waitFor({ timeout: 20_000 });
    const signIns = site.record.authorizations.length;
    await page.getByRole('button', { name: 'Sign out' }).click();
    // The page before sign-out shows the same link: wait for the new sign-in to reach the provider first.
    await expect
      .poll(() => site.record.authorizations.length, { timeout: 20_000 })
      .toBe(signIns + 1);
    await page.getByRole('link', { name: 'web', exact: true }).waitFor({ timeout: 20_000 });
    expect(
      await page.evaluate<string | null>("sessionStorage.getItem('driftless-oidc-pending')"),
    ).toBeNull();
    await page.context().close();
  });
});
