import { randomBytes } from 'node:crypto';
import { engineSettings } from '../../shared/engine/settings.ts';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Application, type ApplicationInput } from '../../shared/config/application.ts';
import { reconcile, type ReconcileOptions } from '../../shared/engine/reconcile.ts';
import { repoCache } from '../../shared/source/cache.ts';
import type { SyncResult } from '../../shared/sync/result.ts';
import { cluster, uniqueName } from '../harness/context.ts';
import { commitTree, type FileTree } from '../harness/git-fixtures.ts';
import { startGitServer, type GitServer } from '../harness/git-server.ts';
import { toolPath } from '../harness/tools.ts';
import { kubectl } from '../helpers/engine.ts';
import { random } from '../helpers/random.ts';
import { linkChain, type Exit } from './link-trees.ts';

const clusterA = () => cluster('cluster-a');
const stamp = Date.now().toString(36);
const MARKER = `MARKER-${stamp}-outside`;
const OTHER_SECRET = `OTHERSECRET-${stamp}-plaintext`;
const ENV_MARKER = `ENVMARKER-${stamp}`;
// Checkout root = <cache>/<repo hash>/checkouts/<commit>/<path hash>.
const CHECKOUT_DEPTH = 4;

const cm = (name: string, value: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  value: "${value}"\n`;

/** Every file under `dir` whose bytes contain `needle`, as paths relative to `dir`. */
function filesContaining(dir: string, needle: string, skip: string[] = []): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    if (skip.some((s) => path.startsWith(s))) continue;
    if (readFileSync(path).includes(needle)) found.push(relative(dir, path));
  }
  return found;
}

type Renderer = 'directory' | 'kustomize' | 'helm';

describe('hostile repositories (real Git server, real kustomize and helm, cluster-a)', () => {
  let git: GitServer;
  let cacheDir: string;
  let outside: string;
  let otherSecretFile: string;
  let otherAppDir: string;
  let victimRoot: string;
  const results: { name: string; result: SyncResult }[] = [];

  const app = (
    name: string,
    repoURL: string,
    path: string,
    extra: Partial<ApplicationInput['spec']> = {},
  ) =>
    Application.parse({
      apiVersion: 'driftless.dev/v1alpha1',
      kind: 'Application',
      metadata: { name },
      spec: {
        source: { repoURL, targetRevision: 'main', path },
        destination: { cluster: 'cluster-a', namespace: name },
        syncPolicy: { automated: { prune: true }, syncOptions: ['CreateNamespace=true'] },
        healthTimeout: '20s',
        ...extra,
      },
    });

  const settingsFor = (dir: string) =>
    engineSettings({
      source: { cacheDir: dir },
      render: { binaries: { kustomize: toolPath('kustomize'), helm: toolPath('helm') } },
    });

  const options = (): ReconcileOptions => {
    const c = clusterA();
    return {
      cluster: {
        name: c.name,
        connection: { server: c.server, ca: readFileSync(c.caFile), token: c.adminToken },
      },
      settings: settingsFor(cacheDir),
    };
  };

  const run = async (spec: Application): Promise<SyncResult> => {
    const result = await reconcile(spec, options());
    results.push({ name: spec.metadata.name, result });
    return result;
  };

  beforeAll(async () => {
    git = await startGitServer();
    cacheDir = mkdtempSync(join(tmpdir(), 'driftless-hostile-cache-'));
    outside = mkdtempSync(join(tmpdir(), 'driftless-hostile-outside-'));
    // A valid manifest: if a render ever read it, the marker would reach the cluster.
    writeFileSync(join(outside, 'marker.yaml'), cm('leaked', MARKER));
    writeFileSync(join(outside, 'marker.txt'), MARKER);
    process.env.DRIFTLESS_TEST_ENV_MARKER = ENV_MARKER;

    // Another team's Kustomize application with a Secret, synced first so
    // its checkout sits in the same cache.
    const other = uniqueName('victim');
    const url = git.createRepo(other);
    commitTree(git.repoPath(other), 'main', {
      'apps/vault/kustomization.yaml': 'resources: [secret.yaml]\n',
      'apps/vault/secret.yaml': `apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: ${OTHER_SECRET}\n`,
    });
    const first = await run(app(other, url, 'apps/vault'));
    expect(first.error).toBeUndefined();
    const otherRoot = repoCache(cacheDir, url);
    const [secret] = filesContaining(otherRoot.checkouts, OTHER_SECRET);
    expect(secret).toBeDefined();
    otherSecretFile = join(otherRoot.checkouts, secret!);
    otherAppDir = join(otherSecretFile, '..');
    victimRoot = join(otherRoot.gitdir, '..');
  });

  afterAll(async () => {
    delete process.env.DRIFTLESS_TEST_ENV_MARKER;
    await git.stop();
    rmSync(cacheDir, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  });

  /** The application folder's files for one renderer reading `entry`. */
  function appFiles(
    renderer: Renderer,
    caseName: string,
    chain: FileTree,
    entry: string,
  ): FileTree {
    const ok = { 'ok.yaml': cm(`${caseName}-ok`, 'fine') };
    if (renderer === 'directory') return { ...ok, ...chain };
    if (renderer === 'kustomize')
      return {
        ...ok,
        ...chain,
        'kustomization.yaml': `resources: [ok.yaml, ${entry}]\n`,
      };
    return {
      ...chain,
      'Chart.yaml': `apiVersion: v2\nname: ${caseName}\nversion: 0.1.0\n`,
      'templates/cm.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${caseName}-files\ndata:\n  read: {{ .Files.Get "${entry}" | quote }}\n`,
    };
  }

  /**
   * Where the chain really leads when a kernel follows it, with the links
   * laid out at the depth a checkout has below the cache folder: proves each
   * generated case is a true escape (or truly harmless) before we check that
   * Driftless refuses (or keeps) it.
   */
  function probe(chain: FileTree, entry: string, appPath: string): string {
    const root = join(cacheDir, 'probe', 'a', 'b', 'c');
    try {
      for (const [file, content] of Object.entries(chain)) {
        const at = join(root, appPath, file);
        mkdirSync(dirname(at), { recursive: true });
        if (typeof content === 'string' || Buffer.isBuffer(content)) writeFileSync(at, content);
        else symlinkSync(content.link, at);
      }
      mkdirSync(join(root, appPath, 'real'), { recursive: true });
      writeFileSync(join(root, appPath, 'real/inside.yaml'), '');
      const real = realpathSync.native(join(root, appPath, entry));
      return real.startsWith(`${realpathSync.native(root)}/`) ? 'inside' : real;
    } catch (error) {
      return `unresolvable: ${(error as Error).message}`;
    } finally {
      rmSync(join(cacheDir, 'probe'), { recursive: true, force: true });
    }
  }

  const realTarget = (exit: Exit): string => {
    if (exit.kind === 'inside') return 'inside';
    const path = exit.kind === 'absolute' ? exit.path : join(cacheDir, exit.fromCacheDir);
    return path === '/proc/self/environ'
      ? `/proc/${process.pid}/environ`
      : realpathSync.native(path);
  };

  const exits = (): { label: string; exit: Exit; marker: string; insideFile?: string }[] => [
    {
      label: 'absolute marker',
      exit: { kind: 'absolute', path: join(outside, 'marker.yaml') },
      marker: MARKER,
    },
    {
      label: 'climb to marker',
      exit: { kind: 'climb', fromCacheDir: relative(cacheDir, join(outside, 'marker.yaml')) },
      marker: MARKER,
    },
    {
      label: '/proc/self/environ',
      exit: { kind: 'absolute', path: '/proc/self/environ' },
      marker: ENV_MARKER,
    },
    {
      label: '/proc/self/root',
      exit: { kind: 'absolute', path: `/proc/self/root${join(outside, 'marker.yaml')}` },
      marker: MARKER,
    },
    {
      label: "other app's Secret",
      exit: { kind: 'absolute', path: otherSecretFile },
      marker: OTHER_SECRET,
    },
    {
      label: "climb to other app's Secret",
      exit: { kind: 'climb', fromCacheDir: relative(cacheDir, otherSecretFile) },
      marker: OTHER_SECRET,
    },
    {
      label: 'inside',
      exit: { kind: 'inside', path: 'real/inside.yaml' },
      marker: '',
      insideFile: 'real/inside.yaml',
    },
  ];

  it('refuses every generated link chain that leaves the checkout, and keeps those that stay inside working', async () => {
    const name = uniqueName('hostile');
    const url = git.createRepo(name);
    const renderers: Renderer[] = ['directory', 'kustomize', 'helm'];
    const tree: FileTree = {};
    const cases: {
      path: string;
      renderer: Renderer;
      label: string;
      shape: string;
      entry: string;
      marker: string;
      inside: boolean;
      seed: number;
    }[] = [];
    const list = exits();
    for (let seed = 1; seed <= 2 * renderers.length * list.length; seed++) {
      const renderer = renderers[seed % renderers.length]!;
      const { label, exit, marker, insideFile } =
        list[Math.floor(seed / renderers.length) % list.length]!;
      const rand = random(seed);
      const caseName = `c${seed}`;
      const path = `apps/${caseName}`;
      const entry = renderer === 'helm' ? 'leak.txt' : 'leak.yaml';
      // A Kustomize application gets the whole repository; the others their folder alone.
      const depth = renderer === 'kustomize' ? 2 : 0;
      const chain = linkChain(rand, entry, exit, { depth, checkoutDepth: CHECKOUT_DEPTH });
      const files = appFiles(renderer, caseName, chain.files, entry);
      expect(probe(chain.files, entry, depth ? path : ''), `seed ${seed}: ${chain.shape}`).toBe(
        exit.kind === 'inside' ? 'inside' : realTarget(exit),
      );
      if (insideFile) files[insideFile] = cm(`${caseName}-inside`, 'inside');
      for (const [file, content] of Object.entries(files)) tree[posix.join(path, file)] = content;
      cases.push({
        path,
        renderer,
        label,
        shape: chain.shape,
        entry,
        marker,
        inside: Boolean(insideFile),
        seed,
      });
    }
    commitTree(git.repoPath(name), 'main', tree);

    for (const c of cases) {
      const appName = `${name}-${c.seed}`.slice(-40).replace(/^-+/, 'x');
      const what = `seed ${c.seed} (${c.renderer}, ${c.label}, ${c.shape})`;
      const result = await run(app(appName, url, c.path));
      if (c.inside) {
        expect(result.error, what).toBeUndefined();
        expect(result.status, what).toBe('Synced');
        continue;
      }
      expect(result.status, what).toBe('Failed');
      expect(result.phase, what).toBe('render');
      expect(result.error, what).toContain(
        "the render would read outside the application's checkout",
      );
      expect(result.error, what).toContain(
        `link ${c.renderer === 'kustomize' ? `apps/c${c.seed}/` : ''}${c.entry} ->`,
      );
      expect(result.counts.Created, what).toBe(0);
      expect(JSON.stringify(result), what).not.toContain(c.marker);
      // Nothing applied: the namespace the sync would create does not exist.
      const namespaces = await kubectl(clusterA(), 'get', 'namespaces', '-o', 'name');
      expect(namespaces, what).not.toContain(`namespace/${appName}\n`);
    }
  });

  it('fails only the Kustomize application whose build reads a bad link, not its sibling', async () => {
    const name = uniqueName('sibling');
    const url = git.createRepo(name);
    commitTree(git.repoPath(name), 'main', {
      'apps/reads/kustomization.yaml': 'resources: [../../shared/leak.yaml]\n',
      'apps/clean/kustomization.yaml': 'resources: [cm.yaml]\n',
      'apps/clean/cm.yaml': cm('clean', 'ok'),
      'shared/leak.yaml': { link: join(outside, 'marker.yaml') },
    });
    const reads = await run(app(`${name}-r`, url, 'apps/reads'));
    expect(reads.status).toBe('Failed');
    expect(reads.error).toContain(
      `link shared/leak.yaml -> ${join(outside, 'marker.yaml')} is refused`,
    );
    const clean = await run(app(`${name}-c`, url, 'apps/clean'));
    expect(clean.error).toBeUndefined();
    expect(clean.status).toBe('Synced');
  });

  it("refuses a kustomization that names another checkout's folder as a base, by absolute or relative path", async () => {
    const name = uniqueName('base-escape');
    const url = git.createRepo(name);
    commitTree(git.repoPath(name), 'main', {
      'apps/abs/kustomization.yaml': `resources: [${otherAppDir}]\n`,
      'apps/rel/kustomization.yaml': `resources: [${'../'.repeat(2 + CHECKOUT_DEPTH)}${relative(cacheDir, otherAppDir)}]\n`,
    });
    for (const path of ['apps/abs', 'apps/rel']) {
      const result = await run(app(`${name}-${path.slice(5)}`, url, path));
      expect(result.status).toBe('Failed');
      expect(result.error).toContain('it is outside the checkout');
      expect(JSON.stringify(result)).not.toContain(OTHER_SECRET);
    }
  });

  it('refuses kustomizations that kustomize would read differently from us', async () => {
    const name = uniqueName('differ');
    const url = git.createRepo(name);
    const escape = `${'../'.repeat(2 + CHECKOUT_DEPTH)}${relative(cacheDir, otherAppDir)}`;
    commitTree(git.repoPath(name), 'main', {
      // Go's JSON decoder ignores case in field names: this is `resources` to kustomize.
      'apps/case/kustomization.yaml': `Resources: [${escape}]\n`,
      'apps/tag/kustomization.yaml': `resources: [!!binary ${Buffer.from(escape).toString('base64')}]\n`,
      'apps/utf16/kustomization.yaml': Buffer.concat([
        Buffer.from([0xff, 0xfe]),
        Buffer.from(`resources: [${escape}]\n`, 'utf16le'),
      ]),
      // Two files: which one kustomize takes is not ours to guess.
      'apps/two/kustomization.yaml': 'resources: []\n',
      'apps/two/Kustomization': `resources: [${escape}]\n`,
      // A linked kustomization outside its folder: kustomize skips it.
      'apps/linked/kustomization.yaml': { link: '../two/kustomization.yaml' },
      // Resolved through the link, ../ climbs from apps/folded/c, not from a/b/l.
      'apps/folded/kustomization.yaml': 'resources: [a/b/l]\n',
      'apps/folded/a/b/keep.txt': 'keep\n',
      'apps/folded/a/b/l': { link: '../../c' },
      'apps/folded/c/kustomization.yaml': `resources: [${'../'.repeat(5)}x]\n`,
    });
    for (const path of ['case', 'tag', 'utf16', 'two', 'linked', 'folded']) {
      const result = await run(app(`${name}-${path}`, url, `apps/${path}`));
      expect(result.status, path).toBe('Failed');
      expect(result.error, path).toMatch(/cannot be read safely|outside the checkout|is refused/);
      expect(JSON.stringify(result), path).not.toContain(OTHER_SECRET);
    }
  });

  it('refuses Kustomize remote resources unless the application opts in, and file:// or internal addresses even then', async () => {
    const name = uniqueName('remote');
    const url = git.createRepo(name);
    commitTree(git.repoPath(name), 'main', {
      'apps/web/kustomization.yaml': 'resources: [https://example.invalid/base.yaml]\n',
      'apps/local/kustomization.yaml': `resources: [file://${repoCache(cacheDir, url).gitdir}//apps/web]\n`,
      // The Lambda runtime API and the instance metadata address.
      'apps/internal/kustomization.yaml':
        'resources: [http://127.0.0.1:9001/2018-06-01/runtime/invocation/next, http://169.254.169.254/latest/meta-data/x.yaml]\n',
    });
    const refused = await run(app(`${name}-w`, url, 'apps/web'));
    expect(refused.status).toBe('Failed');
    expect(refused.error).toContain('render.kustomize.allowRemoteResources: true');
    const local = await run(
      app(`${name}-l`, url, 'apps/local', {
        render: { kustomize: { allowRemoteResources: true } },
      }),
    );
    expect(local.status).toBe('Failed');
    expect(local.error).toContain('over the network');
    const internal = await run(
      app(`${name}-i`, url, 'apps/internal', {
        render: { kustomize: { allowRemoteResources: true } },
      }),
    );
    expect(internal.status).toBe('Failed');
    expect(internal.error).toContain('http://127.0.0.1:9001');
    expect(internal.error).toContain('http://169.254.169.254');
  });

  it('refuses a Helm value file that is a link out of the checkout', async () => {
    const name = uniqueName('values');
    const url = git.createRepo(name);
    commitTree(git.repoPath(name), 'main', {
      'chart/Chart.yaml': 'apiVersion: v2\nname: v\nversion: 0.1.0\n',
      'chart/templates/cm.yaml':
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: v\ndata:\n  v: {{ .Values.value | quote }}\n',
      'chart/prod.yaml': {
        link: `${'../'.repeat(CHECKOUT_DEPTH)}${relative(cacheDir, join(outside, 'marker.txt'))}`,
      },
    });
    const result = await run(
      app(name, url, 'chart', { render: { helm: { valueFiles: ['prod.yaml'] } } }),
    );
    expect(result.status).toBe('Failed');
    expect(result.error).toContain('link prod.yaml ->');
  });

  it('refuses a render over the object, file, rendered-bytes and fetch limits, before anything is sent', async () => {
    const name = uniqueName('limits');
    const url = git.createRepo(name);
    commitTree(git.repoPath(name), 'main', {
      'many/cms.yaml': Array.from({ length: 30 }, (_, i) => cm(`cm-${i}`, 'x')).join('---\n'),
      'chart/Chart.yaml': 'apiVersion: v2\nname: flood\nversion: 0.1.0\n',
      'chart/templates/flood.yaml':
        '{{- range $i := until 100000 }}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: flood-{{ $i }}\n{{- end }}\n',
      'big/big.yaml': cm('big', 'y'.repeat(4096)),
    });
    const many = await run(app(`${name}-m`, url, 'many', { limits: { maxObjects: 10 } }));
    expect(many.error).toContain('30 objects rendered, over the limit of 10');
    const flood = await run(app(`${name}-f`, url, 'chart'));
    expect(flood.error).toContain('100000 objects rendered, over the limit of 20000');
    const file = await run(app(`${name}-b`, url, 'big', { limits: { maxFileBytes: '2Ki' } }));
    expect(file.error).toMatch(
      /file big\.yaml is \d+ bytes, over the limit of 2048 \(spec\.limits\.maxFileBytes\)/,
    );
    const bytes = await run(app(`${name}-r`, url, 'many', { limits: { maxRenderedBytes: '1Ki' } }));
    expect(bytes.error).toContain('spec.limits.maxRenderedBytes');
    for (const r of [many, flood, file, bytes]) expect(r.counts.Created).toBe(0);

    const fresh = uniqueName('fetch-limit');
    const freshURL = git.createRepo(fresh);
    // Random bytes do not compress: the pack is about as large as the file.
    commitTree(git.repoPath(fresh), 'main', {
      'app/noise.yaml': cm('noise', randomBytes(6000).toString('hex')),
    });
    const fetch = await run(app(fresh, freshURL, 'app', { limits: { maxFetchBytes: '2Ki' } }));
    expect(fetch.phase).toBe('source');
    expect(fetch.error).toContain(
      'more than 2048 bytes for one commit (spec.limits.maxFetchBytes)',
    );
    expect(readdirSync(join(repoCache(cacheDir, freshURL).gitdir, 'objects', 'pack'))).toEqual([]);
    const namespaces = await kubectl(clusterA(), 'get', 'namespaces', '-o', 'name');
    for (const n of [`${name}-m`, `${name}-f`, `${name}-b`, `${name}-r`, fresh])
      expect(namespaces).not.toContain(`namespace/${n}\n`);
  });

  it('checks out again over a planted checkout folder instead of trusting it', async () => {
    const name = uniqueName('planted');
    const url = git.createRepo(name);
    const sha = commitTree(git.repoPath(name), 'main', { 'app/cm.yaml': cm('real', 'from-git') });
    // The folder a checkout of this commit would use, planted before any fetch.
    const cache = repoCache(cacheDir, url);
    const first = await run(app(name, url, 'app'));
    expect(first.error).toBeUndefined();
    const checkout = readdirSync(join(cache.checkouts, sha)).find((f) => !f.endsWith('.json'));
    const dir = join(cache.checkouts, sha, checkout!);
    writeFileSync(join(dir, 'planted.yaml'), cm('planted', MARKER));
    rmSync(join(cacheDir, 'renders'), { recursive: true, force: true });
    const second = await run(app(name, url, 'app'));
    expect(second.error).toBeUndefined();
    expect(second.objects.map((o) => o.ref.name)).toEqual(['real']);
  });

  it('refuses a cache folder writable by other users', async () => {
    const open = mkdtempSync(join(tmpdir(), 'driftless-open-cache-'));
    mkdirSync(join(open, 'c'), { mode: 0o777 });
    const { chmodSync } = await import('node:fs');
    chmodSync(join(open, 'c'), 0o777);
    const name = uniqueName('opencache');
    const url = git.createRepo(name);
    commitTree(git.repoPath(name), 'main', { 'app/cm.yaml': cm('x', 'y') });
    const result = await reconcile(app(name, url, 'app'), {
      ...options(),
      settings: settingsFor(join(open, 'c')),
    });
    expect(result.error).toContain(`cache folder ${join(open, 'c')} is writable by other users`);
    rmSync(open, { recursive: true, force: true });
  });

  it('leaves no marker in the cluster or in any cache file', async () => {
    expect(results.length).toBeGreaterThan(40);
    const everything = await kubectl(clusterA(), 'get', 'configmaps,secrets', '-A', '-o', 'yaml');
    expect(everything).not.toContain(MARKER);
    expect(everything).not.toContain(ENV_MARKER);
    expect(filesContaining(cacheDir, MARKER)).toEqual([]);
    expect(filesContaining(cacheDir, ENV_MARKER)).toEqual([]);
    // The victim's own checkout holds its Secret (that is its source); nothing else may.
    expect(filesContaining(cacheDir, OTHER_SECRET, [victimRoot])).toEqual([]);
    for (const { name, result } of results.slice(1)) {
      expect(JSON.stringify(result), name).not.toContain(OTHER_SECRET);
    }
  });
});
