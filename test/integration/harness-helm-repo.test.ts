import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { chartFiles, craftArchive, startHelmRepo, type HelmRepo } from '../harness/helm-repo.ts';
import { toolPath } from '../harness/tools.ts';

const run = promisify(execFile);
const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A GET with the path sent byte for byte (fetch would normalize `..`). */
function rawGet(
  base: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<RawResponse> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, path, method: 'GET', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('Helm chart repository server', () => {
  const dirs: string[] = [];
  const repos: HelmRepo[] = [];
  const tempDir = (): string => {
    const d = mkdtempSync(join(tmpdir(), 'driftless-helm-repo-test-'));
    dirs.push(d);
    return d;
  };
  const start = async (options?: Parameters<typeof startHelmRepo>[0]): Promise<HelmRepo> => {
    const repo = await startHelmRepo(options);
    repos.push(repo);
    return repo;
  };
  afterAll(async () => {
    await Promise.all(repos.map((r) => r.stop()));
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  /** The real `helm pull --repo`, in scratch Helm homes; resolves with the pulled file's bytes. */
  const helmPull = async (
    repo: HelmRepo,
    chart: string,
    args: string[] = [],
  ): Promise<{ file: string; bytes: Buffer }> => {
    const home = tempDir();
    const dest = join(home, 'out');
    mkdirSync(dest);
    await run(
      toolPath('helm'),
      ['pull', chart, '--repo', repo.url, '--destination', dest, ...args],
      {
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          HOME: home,
          HELM_CONFIG_HOME: join(home, 'config'),
          HELM_CACHE_HOME: join(home, 'cache'),
          HELM_DATA_HOME: join(home, 'data'),
        },
      },
    );
    const { stdout } = await run('ls', [dest]);
    const file = stdout.trim();
    return { file, bytes: readFileSync(join(dest, file)) };
  };

  it('serves charts made by helm package that the real helm pull downloads, earlier versions kept', async () => {
    const repo = await start();
    const v1 = await repo.publish(chartFiles('demo', '1.0.0'));
    expect(v1).toMatchObject({ file: 'demo-1.0.0.tgz', name: 'demo', version: '1.0.0' });
    expect(v1.digest).toMatch(/^[0-9a-f]{64}$/);
    const v2 = await repo.publish(chartFiles('demo', '1.1.0'));
    await repo.publish(chartFiles('other', '0.1.0'));

    const index = await rawGet(repo.url, '/index.yaml');
    expect(index.status).toBe(200);
    expect(index.headers['content-type']).toBe('application/x-yaml');
    const parsed = parse(index.body.toString());
    expect(parsed.apiVersion).toBe('v1');
    expect(parsed.entries.demo.map((e: { version: string }) => e.version)).toEqual([
      '1.1.0',
      '1.0.0',
    ]);
    expect(parsed.entries.demo[1]).toMatchObject({
      digest: v1.digest,
      urls: [`${repo.url}/demo-1.0.0.tgz`],
      apiVersion: 'v2',
    });
    expect(parsed.entries.other).toHaveLength(1);

    const pinned = await helmPull(repo, 'demo', ['--version', '1.0.0']);
    expect(pinned.file).toBe('demo-1.0.0.tgz');
    expect(sha256(pinned.bytes)).toBe(v1.digest);
    const latest = await helmPull(repo, 'demo');
    expect(latest.file).toBe('demo-1.1.0.tgz');
    expect(sha256(latest.bytes)).toBe(v2.digest);

    // The chart renders: the ConfigMap carries the version and the release name.
    const dir = tempDir();
    writeFileSync(join(dir, 'demo.tgz'), pinned.bytes);
    const { stdout } = await run(toolPath('helm'), ['template', 'rel', join(dir, 'demo.tgz')], {
      env: { PATH: process.env.PATH ?? '', HOME: dir, HELM_CONFIG_HOME: join(dir, 'c') },
    });
    const cm = parse(stdout);
    expect(cm).toMatchObject({
      kind: 'ConfigMap',
      metadata: { name: 'rel-demo' },
      data: { chartVersion: '1.0.0', release: 'rel', greeting: 'hello' },
    });

    const chart = await rawGet(repo.url, '/demo-1.0.0.tgz');
    expect(chart.headers['content-type']).toBe('application/gzip');
    expect(sha256(chart.body)).toBe(v1.digest);
    expect((await rawGet(repo.url, '/missing-1.0.0.tgz')).status).toBe(404);

    const kinds = repo.requests.map((r) => `${r.kind} ${r.path} ${r.status}`);
    expect(kinds).toContain('index /index.yaml 200');
    expect(kinds).toContain('chart /demo-1.0.0.tgz 200');
    expect(kinds).toContain('chart /demo-1.1.0.tgz 200');
    expect(kinds).toContain('chart /missing-1.0.0.tgz 404');
    expect(repo.requests.every((r) => r.authorization === undefined)).toBe(true);
  });

  it('requires basic auth when configured: 401 for helm without credentials, served with them', async () => {
    const repo = await start({ basicAuth: { username: 'charts', password: 's3cret' } });
    const published = await repo.publish(chartFiles('private', '2.0.0'));

    await expect(helmPull(repo, 'private')).rejects.toThrow(/401/);
    await expect(
      helmPull(repo, 'private', ['--username', 'charts', '--password', 'wrong']),
    ).rejects.toThrow(/401/);
    const pulled = await helmPull(repo, 'private', [
      '--username',
      'charts',
      '--password',
      's3cret',
    ]);
    expect(sha256(pulled.bytes)).toBe(published.digest);

    const anonymous = await rawGet(repo.url, '/index.yaml');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers['www-authenticate']).toBe('Basic realm="charts"');
    expect(anonymous.body.toString()).not.toContain('private');
    const good = `Basic ${Buffer.from('charts:s3cret').toString('base64')}`;
    expect((await rawGet(repo.url, '/index.yaml', { authorization: good })).status).toBe(200);
    const longer = `Basic ${Buffer.from('charts:s3cret-and-more').toString('base64')}`;
    expect((await rawGet(repo.url, '/index.yaml', { authorization: longer })).status).toBe(401);

    const chartRequests = repo.requests.filter((r) => r.kind === 'chart');
    expect(chartRequests).toEqual([
      {
        path: '/private-2.0.0.tgz',
        kind: 'chart',
        method: 'GET',
        authorization: good,
        status: 200,
      },
    ]);
    expect(repo.requests.filter((r) => r.kind === 'index').map((r) => r.status)).toEqual([
      401, 401, 200, 401, 200, 401,
    ]);
  });

  it('revalidates the index with ETag and If-None-Match', async () => {
    const repo = await start();
    await repo.publish(chartFiles('etag', '1.0.0'));
    const first = await rawGet(repo.url, '/index.yaml');
    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^"[0-9a-f]{64}"$/);

    const again = await rawGet(repo.url, '/index.yaml', { 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    expect(again.headers.etag).toBe(etag);
    expect(
      (await rawGet(repo.url, '/index.yaml', { 'if-none-match': `"other", W/${etag}` })).status,
    ).toBe(304);
    expect((await rawGet(repo.url, '/index.yaml', { 'if-none-match': '"other"' })).status).toBe(
      200,
    );

    await repo.publish(chartFiles('etag', '1.0.1'));
    const changed = await rawGet(repo.url, '/index.yaml', { 'if-none-match': etag });
    expect(changed.status).toBe(200);
    expect(changed.headers.etag).not.toBe(etag);
    expect(changed.body.toString()).toContain('1.0.1');
  });

  it('tamper changes the bytes served but not the index', async () => {
    const repo = await start();
    const published = await repo.publish(chartFiles('tampered', '1.0.0'));
    const before = (await rawGet(repo.url, '/index.yaml')).body;
    repo.tamper(published.file, Buffer.from('not the chart'));
    const after = await rawGet(repo.url, '/index.yaml');
    expect(after.body.equals(before)).toBe(true);
    const served = await rawGet(repo.url, `/${published.file}`);
    expect(served.body.toString()).toBe('not the chart');
    expect(sha256(served.body)).not.toBe(published.digest);
    expect(parse(after.body.toString()).entries.tampered[0].digest).toBe(published.digest);
    expect(() => repo.tamper('absent-1.0.0.tgz', Buffer.from('x'))).toThrow(/no published file/);
    expect(() => repo.tamper('../index.yaml', Buffer.from('x'))).toThrow(/plain file name/);
  });

  it('editIndex rewrites the served index and later publishes keep the edit', async () => {
    const repo = await start();
    await repo.publish(chartFiles('edited', '1.0.0'));
    const etag = (await rawGet(repo.url, '/index.yaml')).headers.etag as string;
    repo.editIndex((index) => {
      const entry = index.entries.edited[0];
      entry.urls = ['http://127.0.0.1:9/elsewhere/edited-1.0.0.tgz'];
      delete entry.digest;
    });
    const edited = await rawGet(repo.url, '/index.yaml', { 'if-none-match': etag });
    expect(edited.status).toBe(200);
    const entry = parse(edited.body.toString()).entries.edited[0];
    expect(entry.urls).toEqual(['http://127.0.0.1:9/elsewhere/edited-1.0.0.tgz']);
    expect(entry.digest).toBeUndefined();

    await repo.publish(chartFiles('edited', '1.2.0'));
    const merged = parse((await rawGet(repo.url, '/index.yaml')).body.toString());
    expect(merged.entries.edited.map((e: { version: string }) => e.version)).toEqual([
      '1.2.0',
      '1.0.0',
    ]);
    expect(merged.entries.edited[1].urls).toEqual([
      'http://127.0.0.1:9/elsewhere/edited-1.0.0.tgz',
    ]);
    expect(merged.entries.edited[1].digest).toBeUndefined();
  });

  it('failWith answers every request with the status until cleared', async () => {
    const repo = await start();
    await repo.publish(chartFiles('failing', '1.0.0'));
    repo.failWith(503);
    expect((await rawGet(repo.url, '/index.yaml')).status).toBe(503);
    expect((await rawGet(repo.url, '/failing-1.0.0.tgz')).status).toBe(503);
    await expect(helmPull(repo, 'failing')).rejects.toThrow(/503/);
    repo.failWith(500);
    expect((await rawGet(repo.url, '/index.yaml')).status).toBe(500);
    repo.failWith(undefined);
    expect((await rawGet(repo.url, '/index.yaml')).status).toBe(200);
    expect((await helmPull(repo, 'failing')).file).toBe('failing-1.0.0.tgz');
    expect(repo.requests.map((r) => r.status).slice(0, 4)).toEqual([503, 503, 503, 500]);
  });

  it('refuses paths that leave the served folder', async () => {
    const repo = await start();
    await repo.publish(chartFiles('safe', '1.0.0'));
    // A secret next to the served folder, and a symlink inside it pointing there.
    const secret = join(repo.root, '..', 'secret.txt');
    writeFileSync(secret, 'TOP-SECRET');
    symlinkSync(secret, join(repo.root, 'link.tgz'));

    const attempts = [
      '/../secret.txt',
      '/..%2fsecret.txt',
      '/%2e%2e/secret.txt',
      '/%2e%2e%2fsecret.txt',
      '/..%5csecret.txt',
      '/..\\secret.txt',
      '/./../secret.txt',
      '//../secret.txt',
      '/safe-1.0.0.tgz/../../secret.txt',
      '/%252e%252e/secret.txt',
      '/..%00/secret.txt',
      '/%zz',
      '/link.tgz',
      '/',
      `/${'../'.repeat(20)}etc/passwd`,
    ];
    for (const path of attempts) {
      const response = await rawGet(repo.url, path);
      expect([400, 404], path).toContain(response.status);
      expect(response.body.toString(), path).not.toContain('TOP-SECRET');
      expect(response.body.toString(), path).not.toContain('root:');
    }
    expect((await rawGet(repo.url, '/..%2fsecret.txt')).status).toBe(400);
    expect((await rawGet(repo.url, '/link.tgz')).status).toBe(404);
    expect((await rawGet(repo.url, '/safe-1.0.0.tgz')).status).toBe(200);
  });

  it('crafts hostile archives and publishes them with a correct digest', async () => {
    const repo = await start();
    await repo.publish(chartFiles('good', '1.0.0'));
    const archive = craftArchive([
      { name: 'evil/Chart.yaml', body: 'apiVersion: v2\nname: evil\nversion: 0.1.0\n' },
      { name: 'evil/templates/cm.yaml', body: 'kind: ConfigMap\n' },
      { name: '../escape.yaml', body: 'escaped: true\n' },
      { name: 'evil/templates/link.yaml', type: 'symlink', linkTarget: '/etc/passwd' },
    ]);
    expect(archive.subarray(0, 2).toString('hex')).toBe('1f8b');
    const listing = await new Promise<string>((resolve, reject) => {
      const child = execFile('tar', ['-tvzf', '-'], (err, stdout) =>
        err ? reject(err) : resolve(stdout),
      );
      child.stdin?.end(archive);
    });
    expect(listing).toContain('../escape.yaml');
    expect(listing).toMatch(/^l.* evil\/templates\/link\.yaml -> \/etc\/passwd$/m);

    const raw = await repo.publishRaw('evil-0.1.0.tgz', archive, {
      name: 'evil',
      version: '0.1.0',
    });
    expect(raw).toEqual({
      file: 'evil-0.1.0.tgz',
      digest: sha256(archive),
      name: 'evil',
      version: '0.1.0',
    });
    const index = parse((await rawGet(repo.url, '/index.yaml')).body.toString());
    expect(index.entries.evil[0]).toMatchObject({
      name: 'evil',
      version: '0.1.0',
      apiVersion: 'v2',
      digest: sha256(archive),
      urls: [`${repo.url}/evil-0.1.0.tgz`],
    });
    expect(index.entries.good).toHaveLength(1);
    // helm pull only downloads; the bytes are the crafted archive.
    const pulled = await helmPull(repo, 'evil', ['--version', '0.1.0']);
    expect(pulled.bytes.equals(archive)).toBe(true);
    await expect(
      repo.publishRaw('../x.tgz', archive, { name: 'x', version: '1.0.0' }),
    ).rejects.toThrow(/plain file name/);
  });
});
