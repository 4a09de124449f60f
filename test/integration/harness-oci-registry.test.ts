import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { chartFiles, craftArchive } from '../harness/helm-repo.ts';
import { startOciRegistry, type OciRegistry } from '../harness/oci-registry.ts';
import { toolPath } from '../harness/tools.ts';

const run = promisify(execFile);
const sha256 = (bytes: Buffer): string =>
  `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

interface Manifest {
  mediaType?: string;
  config: { mediaType: string; digest: string };
  layers: {
    mediaType: string;
    digest: string;
    size: number;
    annotations?: Record<string, string>;
  }[];
}

describe('OCI registry (CNCF distribution) with helm push and oras push', () => {
  const dirs: string[] = [];
  const registries: OciRegistry[] = [];
  const tempDir = (): string => {
    const d = mkdtempSync(join(tmpdir(), 'driftless-oci-test-'));
    dirs.push(d);
    return d;
  };
  const start = async (options?: Parameters<typeof startOciRegistry>[0]): Promise<OciRegistry> => {
    const registry = await startOciRegistry(options);
    registries.push(registry);
    return registry;
  };
  afterAll(async () => {
    await Promise.all(registries.map((r) => r.stop()));
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  /** A scratch home for a client, so no credentials or caches are shared with the harness. */
  const clientEnv = (home: string): Record<string, string> => ({
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    HELM_CONFIG_HOME: join(home, 'config'),
    HELM_CACHE_HOME: join(home, 'cache'),
    HELM_DATA_HOME: join(home, 'data'),
    HELM_REGISTRY_CONFIG: join(home, 'registry.json'),
  });

  /** The real `helm pull oci://…`; resolves with the pulled .tgz. */
  const helmPull = async (
    registry: OciRegistry,
    ref: string,
    version: string,
    args: string[] = [],
  ): Promise<{ file: string; bytes: Buffer; home: string }> => {
    const home = tempDir();
    const dest = join(home, 'out');
    mkdirSync(dest);
    await run(
      toolPath('helm'),
      [
        'pull',
        `oci://${registry.host}/${ref}`,
        '--version',
        version,
        '--plain-http',
        '--destination',
        dest,
        ...args,
      ],
      { env: clientEnv(home) },
    );
    const [file] = readdirSync(dest);
    return { file: file!, bytes: readFileSync(join(dest, file!)), home };
  };

  /** The real `oras pull`; resolves with the folder it wrote into. */
  const orasPull = async (
    registry: OciRegistry,
    ref: string,
    args: string[] = [],
  ): Promise<string> => {
    const home = tempDir();
    const dest = join(home, 'out');
    mkdirSync(dest);
    await run(
      toolPath('oras'),
      [
        'pull',
        '--plain-http',
        '--no-tty',
        '--registry-config',
        join(home, 'oras.json'),
        '-o',
        dest,
        `${registry.host}/${ref}`,
        ...args,
      ],
      { env: clientEnv(home) },
    );
    return dest;
  };

  const get = (
    registry: OciRegistry,
    path: string,
    headers: Record<string, string> = {},
    method = 'GET',
  ): Promise<Response> => fetch(`http://${registry.host}${path}`, { method, headers });

  const manifest = async (
    registry: OciRegistry,
    repo: string,
    ref: string,
    headers: Record<string, string> = {},
  ): Promise<{ manifest: Manifest; digest: string | null; raw: Buffer }> => {
    const res = await get(registry, `/v2/${repo}/manifests/${ref}`, {
      accept: OCI_MANIFEST,
      ...headers,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(OCI_MANIFEST);
    const raw = Buffer.from(await res.arrayBuffer());
    return {
      manifest: JSON.parse(raw.toString()) as Manifest,
      digest: res.headers.get('docker-content-digest'),
      raw,
    };
  };

  it('serves a chart pushed with helm push to the real helm pull, with Helm media types', async () => {
    const registry = await start();
    expect(registry.host).toMatch(/^127\.0\.0\.1:\d+$/);
    const v1 = await registry.pushChart('charts', chartFiles('demo', '1.0.0'));
    expect(v1).toMatchObject({ name: 'demo', version: '1.0.0', tag: '1.0.0' });
    expect(v1.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    const v2 = await registry.pushChart('charts', chartFiles('demo', '1.1.0+build.7'));
    expect(v2).toMatchObject({ version: '1.1.0+build.7', tag: '1.1.0_build.7' });

    const tags = await get(registry, '/v2/charts/demo/tags/list');
    expect(tags.status).toBe(200);
    expect(await tags.json()).toEqual({ name: 'charts/demo', tags: ['1.0.0', '1.1.0_build.7'] });

    const { manifest: m, digest, raw } = await manifest(registry, 'charts/demo', '1.0.0');
    expect(digest).toBe(v1.digest);
    expect(sha256(raw)).toBe(v1.digest);
    expect(m.config.mediaType).toBe('application/vnd.cncf.helm.config.v1+json');
    expect(m.layers.map((l) => l.mediaType)).toEqual([
      'application/vnd.cncf.helm.chart.content.v1.tar+gzip',
    ]);
    const config = await get(registry, `/v2/charts/demo/blobs/${m.config.digest}`);
    expect(await config.json()).toMatchObject({ name: 'demo', version: '1.0.0', apiVersion: 'v2' });

    const pulled = await helmPull(registry, 'charts/demo', '1.0.0');
    expect(pulled.file).toBe('demo-1.0.0.tgz');
    expect(sha256(pulled.bytes)).toBe(m.layers[0]!.digest);
    const { stdout } = await run(
      toolPath('helm'),
      ['template', 'rel', join(pulled.home, 'out', pulled.file)],
      { env: clientEnv(pulled.home) },
    );
    expect(parse(stdout)).toMatchObject({
      kind: 'ConfigMap',
      metadata: { name: 'rel-demo' },
      data: { chartVersion: '1.0.0', release: 'rel' },
    });
    // The `+` of a semver build is `_` in the tag, and helm pull finds it by version.
    expect((await helmPull(registry, 'charts/demo', '1.1.0+build.7')).file).toBe(
      'demo-1.1.0+build.7.tgz',
    );
    await expect(helmPull(registry, 'charts/demo', '9.9.9')).rejects.toThrow(/not found/);

    const seen = registry.requests.map((r) => `${r.method} ${r.path} ${r.status}`);
    expect(seen).toContain('PUT /v2/charts/demo/manifests/1.0.0 201');
    expect(seen).toContain(`GET /v2/charts/demo/blobs/${m.layers[0]!.digest} 200`);
    expect(registry.requests.every((r) => r.authorization === undefined)).toBe(true);
  });

  it('serves a Flux-style artifact pushed with oras push to the real oras pull', async () => {
    const registry = await start();
    const files = {
      'deploy.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n',
      'overlays/prod/kustomization.yaml': 'resources: []\n',
    };
    const v1 = await registry.pushArtifact('apps/web', 'v1', files);
    expect(v1.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    const latest = await registry.pushArtifact('apps/web', 'latest', { 'a.yaml': 'a: 1\n' });

    const tags = await get(registry, '/v2/apps/web/tags/list');
    expect(await tags.json()).toEqual({ name: 'apps/web', tags: ['latest', 'v1'] });

    const { manifest: m, digest, raw } = await manifest(registry, 'apps/web', 'v1');
    expect(digest).toBe(v1.digest);
    expect(sha256(raw)).toBe(v1.digest);
    expect(m.config.mediaType).toBe('application/vnd.cncf.flux.config.v1+json');
    expect(m.layers).toHaveLength(1);
    expect(m.layers[0]).toMatchObject({
      mediaType: 'application/vnd.cncf.flux.content.v1.tar+gzip',
      annotations: { 'org.opencontainers.image.title': 'art.tar.gz' },
    });
    expect((await manifest(registry, 'apps/web', 'latest')).digest).toBe(latest.digest);

    const dest = await orasPull(registry, 'apps/web:v1');
    expect(readdirSync(dest)).toEqual(['art.tar.gz']);
    const layer = readFileSync(join(dest, 'art.tar.gz'));
    expect(sha256(layer)).toBe(m.layers[0]!.digest);
    // Regular files only, no top folder.
    const { stdout: listing } = await run('tar', ['-tvzf', join(dest, 'art.tar.gz')]);
    const lines = listing.trim().split('\n');
    expect(lines.map((l) => l.split(/\s+/).pop()).sort()).toEqual(Object.keys(files).sort());
    expect(lines.every((l) => l.startsWith('-'))).toBe(true);
    const out = join(dest, 'x');
    mkdirSync(out);
    await run('tar', ['-xzf', join(dest, 'art.tar.gz'), '-C', out]);
    for (const [name, body] of Object.entries(files)) {
      expect(readFileSync(join(out, name), 'utf8')).toBe(body);
    }

    // Deletes are enabled: the manifest goes by digest, then the tag is unknown.
    expect(
      (await get(registry, `/v2/apps/web/manifests/${latest.digest}`, {}, 'DELETE')).status,
    ).toBe(202);
    expect(
      (await get(registry, '/v2/apps/web/manifests/latest', { accept: OCI_MANIFEST })).status,
    ).toBe(404);
  });

  it('pushes raw archive bytes verbatim (../ names, symlinks)', async () => {
    const registry = await start();
    const hostile = craftArchive([
      { name: '../escape.yaml', body: 'kind: ConfigMap\n' },
      { name: 'link.yaml', type: 'symlink', linkTarget: '/etc/passwd' },
      { name: 'ok.yaml', body: 'a: 1\n' },
    ]);
    const pushed = await registry.pushArtifactBytes('evil/art', 'v1', hostile);
    const { manifest: m, digest } = await manifest(registry, 'evil/art', 'v1');
    expect(digest).toBe(pushed.digest);
    expect(m.layers[0]!.digest).toBe(sha256(hostile));
    expect(m.layers[0]!.size).toBe(hostile.length);
    const blob = await get(registry, `/v2/evil/art/blobs/${m.layers[0]!.digest}`);
    expect(Buffer.from(await blob.arrayBuffer()).equals(hostile)).toBe(true);

    await expect(registry.pushArtifact('evil/art', 'v2', { '../x.yaml': '' })).rejects.toThrow(
      /pushArtifactBytes/,
    );
    await expect(registry.pushArtifact('Upper/Case', 'v1', {})).rejects.toThrow(/repository name/);
    await expect(registry.pushArtifactBytes('ok', 'bad:tag', hostile)).rejects.toThrow(/tag/);
  });

  it('with basic auth (htpasswd): 401 and a Basic challenge without credentials, served with them', async () => {
    const registry = await start({ auth: { username: 'puller', password: 's3cret' } });
    const chart = await registry.pushChart('private', chartFiles('secret-chart', '0.2.0'));
    const artifact = await registry.pushArtifact('private/manifests', 'v1', { 'a.yaml': 'a: 1\n' });
    let requestsBefore: number;

    const anonymous = await get(registry, '/v2/');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Basic realm="driftless-oci-registry"');
    const good = { authorization: `Basic ${Buffer.from('puller:s3cret').toString('base64')}` };
    const bad = { authorization: `Basic ${Buffer.from('puller:wrong').toString('base64')}` };
    expect((await get(registry, '/v2/', good)).status).toBe(200);
    expect((await get(registry, '/v2/', bad)).status).toBe(401);
    expect((await get(registry, '/v2/private/secret-chart/tags/list')).status).toBe(401);
    const tags = await get(registry, '/v2/private/secret-chart/tags/list', good);
    expect(await tags.json()).toEqual({ name: 'private/secret-chart', tags: ['0.2.0'] });
    expect((await manifest(registry, 'private/secret-chart', '0.2.0', good)).digest).toBe(
      chart.digest,
    );

    // Without credentials the registry answers 401 with a Basic challenge, which helm
    // (oras-go) reports as "basic credential not found".
    requestsBefore = registry.requests.length;
    await expect(helmPull(registry, 'private/secret-chart', '0.2.0')).rejects.toThrow(
      /basic credential not found/,
    );
    expect(
      registry.requests
        .slice(requestsBefore)
        .map((r) => `${r.method} ${r.path} ${r.status} ${r.authorization ?? '-'}`),
    ).toEqual(['GET /v2/private/secret-chart/manifests/0.2.0 401 -']);
    await expect(
      helmPull(registry, 'private/secret-chart', '0.2.0', [
        '--username',
        'puller',
        '--password',
        'nope',
      ]),
    ).rejects.toThrow(/401|unauthorized/i);
    const pulled = await helmPull(registry, 'private/secret-chart', '0.2.0', [
      '--username',
      'puller',
      '--password',
      's3cret',
    ]);
    expect(pulled.file).toBe('secret-chart-0.2.0.tgz');

    requestsBefore = registry.requests.length;
    await expect(orasPull(registry, 'private/manifests:v1')).rejects.toThrow(
      /basic credential not found/,
    );
    expect(registry.requests.slice(requestsBefore).map((r) => r.status)).toEqual([401]);
    const dest = await orasPull(registry, 'private/manifests:v1', ['-u', 'puller', '-p', 's3cret']);
    expect(existsSync(join(dest, 'art.tar.gz'))).toBe(true);
    expect((await manifest(registry, 'private/manifests', 'v1', good)).digest).toBe(
      artifact.digest,
    );

    const layerGets = registry.requests.filter(
      (r) => r.method === 'GET' && r.path.startsWith('/v2/private/secret-chart/blobs/'),
    );
    expect(layerGets.length).toBeGreaterThan(0);
    expect(layerGets.every((r) => r.authorization === good.authorization && r.status === 200)).toBe(
      true,
    );
  });

  it('with bearer auth: the token flow of ECR, GHCR and Docker Hub, a JWT from the realm', async () => {
    const registry = await start({
      auth: { username: 'bot', password: 'tok3n', scheme: 'bearer' },
    });
    const chart = await registry.pushChart('team', chartFiles('tokened', '3.0.0'));
    await registry.pushArtifact('team/art', 'v1', { 'a.yaml': 'a: 1\n' });

    const anonymous = await get(registry, '/v2/team/tokened/tags/list');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe(
      `Bearer realm="http://${registry.host}/token",service="driftless-oci-registry",scope="repository:team/tokened:pull"`,
    );
    const basic = `Basic ${Buffer.from('bot:tok3n').toString('base64')}`;
    // Basic credentials are for the realm only; the registry wants a token.
    expect(
      (await get(registry, '/v2/team/tokened/tags/list', { authorization: basic })).status,
    ).toBe(401);
    const scope = 'service=driftless-oci-registry&scope=repository:team/tokened:pull';
    const refused = await get(registry, `/token?${scope}`, {
      authorization: `Basic ${Buffer.from('bot:wrong').toString('base64')}`,
    });
    expect(refused.status).toBe(401);
    const issued = await get(registry, `/token?${scope}`, { authorization: basic });
    expect(issued.status).toBe(200);
    const { token } = (await issued.json()) as { token: string };
    const bearer = { authorization: `Bearer ${token}` };
    const tags = await get(registry, '/v2/team/tokened/tags/list', bearer);
    expect(await tags.json()).toEqual({ name: 'team/tokened', tags: ['3.0.0'] });
    // The token grants only the scope asked for.
    expect((await get(registry, '/v2/team/art/tags/list', bearer)).status).toBe(401);
    expect(
      (await get(registry, '/v2/team/tokened/tags/list', { authorization: `Bearer ${token}x` }))
        .status,
    ).toBe(401);

    await expect(helmPull(registry, 'team/tokened', '3.0.0')).rejects.toThrow(/401|unauthorized/i);
    const pulled = await helmPull(registry, 'team/tokened', '3.0.0', [
      '--username',
      'bot',
      '--password',
      'tok3n',
    ]);
    expect(pulled.file).toBe('tokened-3.0.0.tgz');
    expect((await manifest(registry, 'team/tokened', '3.0.0', bearer)).digest).toBe(chart.digest);
    await expect(orasPull(registry, 'team/art:v1')).rejects.toThrow(/401|unauthorized/i);
    const dest = await orasPull(registry, 'team/art:v1', ['-u', 'bot', '-p', 'tok3n']);
    expect(existsSync(join(dest, 'art.tar.gz'))).toBe(true);
    expect(registry.requests.some((r) => r.path === '/token' && r.status === 200)).toBe(true);
    expect(
      registry.requests.some(
        (r) => r.path.startsWith('/v2/team/') && r.authorization?.startsWith('Bearer '),
      ),
    ).toBe(true);
  });

  it('stops: the port closes', async () => {
    const registry = await startOciRegistry();
    expect((await get(registry, '/v2/')).status).toBe(200);
    await registry.stop();
    await expect(get(registry, '/v2/')).rejects.toThrow();
  });
});
