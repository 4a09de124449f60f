import { readdirSync, readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { chromiumPath } from '../../test/helpers/chromium.ts';
import { serveAuthorization, servePort, startDriftless } from '../../test/helpers/cli.ts';
import type { BenchEnv } from '../env.ts';
import { applicationYaml, smallAppManifests, type Manifests } from '../fixtures.ts';
import { median, repoRoot } from '../measure.ts';
import { round, type CaseResult } from '../result.ts';

const APPS = 500;
const LOADS = 5;
const FIRST_LOAD_TARGET_S = 1;
const JS_TARGET_BYTES = 300 * 1024;

/** A configuration folder: the bench cluster and 500 applications of 4 objects, all from one commit. */
function fleetConfig(env: BenchEnv): string {
  const files: Manifests = new Map();
  const names = Array.from({ length: APPS }, (_, i) => `ui-${String(i).padStart(3, '0')}`);
  for (const name of names)
    for (const [path, text] of smallAppManifests(name)) files.set(`${name}/${path}`, text);
  const repoURL = env.repoWith('ui-fleet', 'apps', files);
  const config = join(env.dir, 'ui-config');
  mkdirSync(config, { recursive: true });
  writeFileSync(
    join(config, 'cluster.yaml'),
    `apiVersion: driftless.dev/v1alpha1\nkind: Cluster\nmetadata: { name: ${env.cluster.name} }\nspec:\n  kubeconfig: { file: ${env.cluster.kubeconfig} }\n`,
  );
  for (const name of names)
    writeFileSync(
      join(config, `${name}.yaml`),
      applicationYaml({
        name,
        repoURL,
        path: `apps/${name}`,
        namespace: 'ui-fleet',
        cluster: env.cluster.name,
      }),
    );
  return env.dir;
}

/** Waits until serve lists every application synced: the list then shows real states, not empty rows. */
async function allSynced(base: string, auth: { authorization: string }): Promise<number> {
  const started = Date.now();
  for (;;) {
    const { apps } = (await (await fetch(`${base}/apps`, { headers: auth })).json()) as {
      apps: { state: { syncStatus: string } | null }[];
    };
    if (apps.length === APPS && apps.every((a) => a.state?.syncStatus === 'Synced'))
      return (Date.now() - started) / 1000;
    if (Date.now() - started > 600_000)
      throw new Error('the 500 applications did not sync in 10 min');
    await new Promise((r) => setTimeout(r, 2_000));
  }
}

/**
 * Seconds from navigation to a rendered list of all 500 rows, in a fresh
 * browser context each time (empty cache: the first load of a new visitor).
 */
async function firstLoads(
  base: string,
  cookie: { name: string; value: string },
): Promise<number[]> {
  const browser = await chromium.launch({ executablePath: chromiumPath() });
  const seconds: number[] = [];
  try {
    for (let i = 0; i < LOADS; i++) {
      const context = await browser.newContext();
      await context.addCookies([
        { ...cookie, domain: '127.0.0.1', path: '/', httpOnly: true, sameSite: 'Strict' },
      ]);
      const page = await context.newPage();
      const started = Date.now();
      await page.goto(`${base}/`);
      await page
        .locator('table.apps tbody tr')
        .nth(APPS - 1)
        .waitFor({ timeout: 30_000 });
      seconds.push((Date.now() - started) / 1000);
      await context.close();
    }
  } finally {
    await browser.close();
  }
  return seconds;
}

/** Every script of the built UI, gzipped (what a browser downloads compressed). */
export function uiJsGzipBytes(): number {
  const assets = join(repoRoot, 'dist', 'ui', 'assets');
  return readdirSync(assets)
    .filter((f) => f.endsWith('.js'))
    .reduce((sum, f) => sum + gzipSync(readFileSync(join(assets, f)), { level: 9 }).length, 0);
}

/** Seconds of GET /apps in full, and revalidated by its ETag (what each poll of an unchanged list costs). */
async function apiTimes(base: string, auth: { authorization: string }) {
  const full: number[] = [];
  const revalidated: number[] = [];
  let bytes = 0;
  for (let i = 0; i < LOADS; i++) {
    let started = Date.now();
    const response = await fetch(`${base}/apps`, { headers: auth });
    bytes = (await response.arrayBuffer()).byteLength;
    full.push((Date.now() - started) / 1000);
    started = Date.now();
    const again = await fetch(`${base}/apps`, {
      headers: { ...auth, 'if-none-match': response.headers.get('etag') ?? '' },
    });
    if (again.status !== 304) throw new Error(`GET /apps with its ETag answered ${again.status}`);
    revalidated.push((Date.now() - started) / 1000);
  }
  return { api_s: round(median(full)), api_304_s: round(median(revalidated)), api_bytes: bytes };
}

async function signIn(base: string, stateDir: string): Promise<{ name: string; value: string }> {
  const secret = serveAuthorization(stateDir).authorization.replace(/^Bearer /, '');
  const response = await fetch(`${base}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ secret }),
  });
  const [name, value] = (response.headers.get('set-cookie') ?? '').split(';')[0]!.split('=') as [
    string,
    string,
  ];
  if (response.status !== 204 || !value) throw new Error(`sign-in failed: HTTP ${response.status}`);
  return { name, value };
}

/**
 * ui-list-500-first-load: the web UI's application list with 500 synced
 * applications on local mode (driftless serve), loaded cold in Chromium;
 * and ui-js-gzip: the UI's scripts, gzipped.
 */
export async function uiCases(env: BenchEnv): Promise<CaseResult[]> {
  await env.createNamespace('ui-fleet');
  const cwd = fleetConfig(env);
  const serve = startDriftless(
    ['serve', '--config', 'ui-config', '--port', '0', '--interval', '1h', '--workers', '8'],
    { cwd },
  );
  try {
    const base = `http://127.0.0.1:${await servePort(serve, 30_000)}`;
    const stateDir = join(cwd, '.driftless', 'state');
    const syncS = await allSynced(base, serveAuthorization(stateDir));
    env.log(`ui: ${APPS} applications synced by serve in ${syncS.toFixed(1)} s`);
    const api = await apiTimes(base, serveAuthorization(stateDir));
    env.log(
      `ui: GET /apps ${api.api_s} s (${api.api_bytes} bytes), revalidated ${api.api_304_s} s`,
    );
    const loads = await firstLoads(base, await signIn(base, stateDir));
    env.log(`ui: first loads ${loads.map((s) => s.toFixed(2)).join(' ')} s`);
    const ours = median(loads);
    const bytes = uiJsGzipBytes();
    return [
      {
        name: `ui-list-${APPS}-first-load`,
        ours_s: round(ours),
        target: `< ${FIRST_LOAD_TARGET_S} s`,
        met: ours < FIRST_LOAD_TARGET_S,
        runs: LOADS,
        notes: `median of ${LOADS} cold loads (a new browser context each: no cache) of / in headless Chromium, from navigation until all ${APPS} rows are rendered; driftless serve (local mode, embedded state) with ${APPS} synced applications of 4 objects`,
        details: { loads_s: loads.map((s) => round(s)), sync_all_s: round(syncS), ...api },
      },
      {
        name: 'ui-js-gzip',
        bytes,
        target: `< ${JS_TARGET_BYTES / 1024} KB`,
        met: bytes < JS_TARGET_BYTES,
        notes: 'every script in dist/ui/assets, gzip level 9',
      },
    ];
  } finally {
    serve.child.kill('SIGINT');
    await serve.exited;
  }
}
