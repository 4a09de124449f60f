import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueName } from '../harness/context.ts';
import { configMapYaml, kustomizeOverlayTree } from '../helpers/manifests.ts';
import { commitTree, tagCommit } from '../harness/git-fixtures.ts';
import { startGitServer, type GitServer } from '../harness/git-server.ts';
import {
  AuthFailedError,
  fetchSource,
  PathNotFoundError,
  RepositoryNotFoundError,
  resolveRevision,
  RevisionNotFoundError,
  SourceSpec,
  UnreachableError,
  type SourceSpecInput,
} from '../../shared/source/index.ts';
import { CHECKOUT_IDLE_MS } from '../../shared/source/cache.ts';

const app = (n: number): Record<string, string> => ({
  'apps/guestbook/deployment.yaml': `kind: Deployment\n# version ${n}\n`,
  'apps/guestbook/config/settings.json': `{"version": ${n}}\n`,
  'apps/other/service.yaml': 'kind: Service\n',
  'README.md': '# fixture\n',
});

describe('git source', () => {
  let server: GitServer;
  const dirs: string[] = [];
  const tempDir = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'driftless-source-test-'));
    dirs.push(dir);
    return dir;
  };
  const spec = (input: SourceSpecInput): SourceSpec => SourceSpec.parse(input);
  /** A repository with a first commit on main; returns its URL, bare path and name. */
  const newRepo = (files = app(1), auth?: { username: string; password: string }) => {
    const name = uniqueName('src');
    const url = server.createRepo(name, auth ? { auth } : {});
    const bare = server.repoPath(name);
    const sha = commitTree(bare, 'main', files, 'first');
    return { name, url, bare, sha };
  };

  beforeAll(async () => {
    server = await startGitServer();
  });
  afterAll(async () => {
    await server.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('checks out only the application path of the default branch', async () => {
    const repo = newRepo();
    const result = await fetchSource(spec({ repoURL: repo.url, path: 'apps/guestbook' }), {
      cacheDir: tempDir(),
    });
    expect(result).toMatchObject({ revision: repo.sha, ref: 'refs/heads/main', fetched: true });
    expect(readFileSync(join(result.appDir, 'deployment.yaml'), 'utf8')).toContain('version 1');
    expect(readFileSync(join(result.appDir, 'config/settings.json'), 'utf8')).toBe(
      '{"version": 1}\n',
    );
    // Nothing of the rest of the repository is written anywhere near the app dir.
    expect(existsSync(join(result.appDir, 'service.yaml'))).toBe(false);
    expect(existsSync(join(result.appDir, '..', 'README.md'))).toBe(false);
    expect(existsSync(join(result.appDir, '../..', 'apps'))).toBe(false);
  });

  it('resolves a branch, a lightweight tag, an annotated tag and a commit SHA', async () => {
    const repo = newRepo();
    tagCommit(repo.bare, 'v1.0.0', repo.sha);
    const second = commitTree(repo.bare, 'release', app(2));
    execFileSync('git', ['--git-dir', repo.bare, 'tag', '-a', '-m', 'annotated', 'v2', second], {
      env: {
        ...process.env,
        GIT_COMMITTER_NAME: 't',
        GIT_COMMITTER_EMAIL: 't@example.com',
      },
    });
    const third = commitTree(repo.bare, 'main', app(3));

    expect(await resolveRevision(spec({ repoURL: repo.url, targetRevision: 'release' }))).toEqual({
      revision: second,
      ref: 'refs/heads/release',
    });
    expect(await resolveRevision(spec({ repoURL: repo.url, targetRevision: 'v1.0.0' }))).toEqual({
      revision: repo.sha,
      ref: 'refs/tags/v1.0.0',
    });
    // An annotated tag resolves to the commit it points at, not the tag object.
    expect(await resolveRevision(spec({ repoURL: repo.url, targetRevision: 'v2' }))).toEqual({
      revision: second,
      ref: 'refs/tags/v2',
    });
    expect(await resolveRevision(spec({ repoURL: repo.url }))).toEqual({
      revision: third,
      ref: 'refs/heads/main',
    });

    const cacheDir = tempDir();
    const bySha = await fetchSource(
      spec({ repoURL: repo.url, targetRevision: repo.sha, path: 'apps/guestbook' }),
      { cacheDir },
    );
    // An older commit, no longer a branch tip, is still served because a ref reaches it.
    expect(bySha).toMatchObject({ revision: repo.sha, fetched: true });
    expect(bySha.ref).toBeUndefined();
    expect(readFileSync(join(bySha.appDir, 'deployment.yaml'), 'utf8')).toContain('version 1');
    const byTag = await fetchSource(
      spec({ repoURL: repo.url, targetRevision: 'v2', path: 'apps/guestbook' }),
      { cacheDir },
    );
    expect(readFileSync(join(byTag.appDir, 'deployment.yaml'), 'utf8')).toContain('version 2');
  });

  it('removes checkouts of commits unused for a while, and keeps those in use', async () => {
    const repo = newRepo();
    const cacheDir = tempDir();
    const target = spec({ repoURL: repo.url, path: 'apps/guestbook' });
    const commitDir = (appDir: string) => join(appDir, '..');
    const age = (appDir: string, ms: number) => {
      const then = new Date(Date.now() - ms);
      utimesSync(commitDir(appDir), then, then);
    };
    const first = await fetchSource(target, { cacheDir });
    commitTree(repo.bare, 'main', app(2));
    const second = await fetchSource(target, { cacheDir });
    const pinned = spec({
      repoURL: repo.url,
      path: 'apps/guestbook',
      targetRevision: first.revision,
    });

    // Idle longer than CHECKOUT_IDLE_MS: removed at the next fetch of another commit.
    age(first.appDir, CHECKOUT_IDLE_MS + 60_000);
    await fetchSource(target, { cacheDir });
    expect(existsSync(commitDir(first.appDir))).toBe(false);
    expect(existsSync(second.appDir)).toBe(true);

    // Fetched again (a pinned app): written anew and marked as used, so kept.
    const again = await fetchSource(pinned, { cacheDir });
    expect(again).toMatchObject({ revision: first.revision, fetched: false });
    expect(readFileSync(join(again.appDir, 'deployment.yaml'), 'utf8')).toContain('version 1');
    age(second.appDir, CHECKOUT_IDLE_MS - 60_000);
    await fetchSource(pinned, { cacheDir });
    expect(existsSync(second.appDir)).toBe(true);
    expect(existsSync(again.appDir)).toBe(true);
  });

  it('does not fetch again while the commit is unchanged', async () => {
    const repo = newRepo();
    const cacheDir = tempDir();
    const target = spec({ repoURL: repo.url, path: 'apps/guestbook' });

    const first = await fetchSource(target, { cacheDir });
    const afterFirst = server.requests(repo.name);
    const second = await fetchSource(target, { cacheDir });
    const afterSecond = server.requests(repo.name);

    expect(first.fetched).toBe(true);
    expect(afterFirst.fetches).toBe(1);
    expect(second).toMatchObject({ fetched: false, packBytes: 0, appDir: first.appDir });
    // The second call still asks for the head (one ref listing), and fetches nothing.
    expect(afterSecond.fetches).toBe(1);
    expect(afterSecond.uploadPack - afterFirst.uploadPack).toBe(1);
  });

  it('fetches a new commit incrementally and keeps the old checkout intact', async () => {
    const files = app(1);
    // Enough incompressible content that a full refetch would be obvious.
    for (let i = 0; i < 50; i++) files[`data/blob-${i}.txt`] = randomBytes(2000).toString('hex');
    const repo = newRepo(files);
    const cacheDir = tempDir();
    const target = spec({ repoURL: repo.url, path: 'apps/guestbook' });

    const first = await fetchSource(target, { cacheDir });
    const next = commitTree(repo.bare, 'main', {
      ...files,
      'apps/guestbook/deployment.yaml': 'kind: Deployment\n# version 2\n',
    });
    const second = await fetchSource(target, { cacheDir });

    expect(second).toMatchObject({ revision: next, fetched: true });
    expect(second.appDir).not.toBe(first.appDir);
    expect(readFileSync(join(second.appDir, 'deployment.yaml'), 'utf8')).toContain('version 2');
    expect(readFileSync(join(first.appDir, 'deployment.yaml'), 'utf8')).toContain('version 1');
    expect(first.packBytes).toBeGreaterThan(10_000);
    // Only the new commit, its trees and the one changed blob travel.
    expect(second.packBytes).toBeLessThan(2_000);
  });

  it('fetches a commit that reverts a file to content already cached without a circular pack', async () => {
    const tree = kustomizeOverlayTree();
    const repo = newRepo(tree);
    const cacheDir = tempDir();
    const target = spec({ repoURL: repo.url, path: 'overlays/prod' });
    await fetchSource(target, { cacheDir });
    commitTree(repo.bare, 'main', { ...tree, 'base/cm.yaml': configMapYaml('settings', 'two') });
    await fetchSource(target, { cacheDir });
    // The server may send the old content as a delta against the new one, which is a
    // delta against the old content: two packs naming one object, a cycle to resolve.
    const reverted = commitTree(repo.bare, 'main', {
      ...tree,
      'base/kustomization.yaml': 'resources: [cm.yaml\n',
    });
    const third = await fetchSource(target, { cacheDir, checkout: 'repository' });
    expect(third.revision).toBe(reverted);
    expect(readFileSync(join(third.repoDir!, 'base', 'cm.yaml'), 'utf8')).toContain('one');

    const packDir = join(cacheDir, readdirSync(cacheDir)[0]!, 'repo.git', 'objects', 'pack');
    const listed = readdirSync(packDir)
      .filter((f) => f.endsWith('.idx'))
      .map((f) => execFileSync('git', ['show-index'], { input: readFileSync(join(packDir, f)) }));
    const oids = listed.flatMap((out) =>
      out
        .toString()
        .trim()
        .split('\n')
        .map((l) => l.split(' ')[1]),
    );
    // Objects may repeat only in a pack that needs no other (the refetched one).
    const counts = new Map<string, number>();
    for (const oid of oids) counts.set(oid!, (counts.get(oid!) ?? 0) + 1);
    const repeated = [...counts].filter(([, n]) => n > 1).map(([oid]) => oid);
    // The server did send the old blob again (else this test proves nothing).
    expect(repeated.length).toBeGreaterThan(0);
    for (const f of readdirSync(packDir).filter((n) => n.endsWith('.pack'))) {
      const verify = spawnSync('git', ['verify-pack', join(packDir, f.replace(/\.pack$/, '.idx'))]);
      const names = execFileSync('git', ['show-index'], {
        input: readFileSync(join(packDir, f.replace(/\.pack$/, '.idx'))),
      }).toString();
      if (repeated.some((oid) => names.includes(oid))) expect(verify.status, f).toBe(0);
    }
  });

  it('serializes concurrent fetches of one repository and fetches once', async () => {
    const repo = newRepo();
    const cacheDir = tempDir();
    const results = await Promise.all(
      ['apps/guestbook', 'apps/other', 'apps/guestbook', '.', 'apps/other'].map((path) =>
        fetchSource(spec({ repoURL: repo.url, path }), { cacheDir }),
      ),
    );
    expect(results.map((r) => r.revision)).toEqual(Array(5).fill(repo.sha));
    expect(results.filter((r) => r.fetched)).toHaveLength(1);
    expect(server.requests(repo.name).fetches).toBe(1);
    expect(readFileSync(join(results[1]!.appDir, 'service.yaml'), 'utf8')).toBe('kind: Service\n');
    expect(readFileSync(join(results[3]!.appDir, 'README.md'), 'utf8')).toBe('# fixture\n');
    expect(results[0]!.appDir).toBe(results[2]!.appDir);
  });

  it('names the repository and revision when the ref does not exist', async () => {
    const repo = newRepo();
    const error = await fetchSource(spec({ repoURL: repo.url, targetRevision: 'no-such-branch' }), {
      cacheDir: tempDir(),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RevisionNotFoundError);
    expect(error).toMatchObject({ code: 'REVISION_NOT_FOUND', revision: 'no-such-branch' });
    expect((error as Error).message).toContain(repo.url);
    expect((error as Error).message).toContain('no branch or tag of that name');
  });

  it('says a commit SHA the server does not have cannot be fetched', async () => {
    const repo = newRepo();
    const missing = 'f'.repeat(40);
    const error = await fetchSource(spec({ repoURL: repo.url, targetRevision: missing }), {
      cacheDir: tempDir(),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RevisionNotFoundError);
    expect((error as Error).message).toContain(`commit ${missing} cannot be fetched`);
  });

  it('reports a path missing from the commit, or naming a file', async () => {
    const repo = newRepo();
    const cacheDir = tempDir();
    const missing = await fetchSource(spec({ repoURL: repo.url, path: 'apps/nope' }), {
      cacheDir,
    }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(PathNotFoundError);
    expect(missing).toMatchObject({ code: 'PATH_NOT_FOUND', path: 'apps/nope' });
    expect((missing as Error).message).toContain(`commit ${repo.sha} has no apps/nope`);

    const file = await fetchSource(spec({ repoURL: repo.url, path: 'README.md' }), {
      cacheDir,
    }).catch((e: unknown) => e);
    expect(file).toBeInstanceOf(PathNotFoundError);
    expect((file as Error).message).toContain('the path must be a directory');
  });

  it('uses the auth callback and fails clearly on wrong or missing credentials', async () => {
    const creds = { username: 'bot', password: 's3cret' };
    const repo = newRepo(app(1), creds);
    const target = spec({ repoURL: repo.url, path: 'apps/guestbook' });
    const seen: string[] = [];

    const ok = await fetchSource(target, {
      cacheDir: tempDir(),
      auth: (url) => {
        seen.push(url);
        return creds;
      },
    });
    expect(ok.revision).toBe(repo.sha);
    expect(seen).toEqual([repo.url]);

    const wrong = await fetchSource(target, {
      cacheDir: tempDir(),
      auth: () => ({ username: 'bot', password: 'wrong' }),
    }).catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(AuthFailedError);
    expect(wrong).toMatchObject({ code: 'AUTH_FAILED', statusCode: 401 });
    expect((wrong as Error).message).toContain('refused the credentials');

    const none = await resolveRevision(target).catch((e: unknown) => e);
    expect(none).toMatchObject({ code: 'AUTH_FAILED', statusCode: 401 });
    expect((none as Error).message).toContain('the auth callback gave none');
  });

  it('reports a repository that does not exist', async () => {
    const error = await resolveRevision(spec({ repoURL: `${server.url}/missing.git` })).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RepositoryNotFoundError);
    expect(error).toMatchObject({ code: 'REPOSITORY_NOT_FOUND' });
  });

  describe('unreachable servers', () => {
    let silent: Server;
    const sockets: Socket[] = [];
    beforeAll(async () => {
      // Accepts connections and never answers.
      silent = createServer((socket) => sockets.push(socket));
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    });
    afterAll(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    });

    it('fails fast on a closed port', async () => {
      const probe = createServer();
      await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
      const { port } = probe.address() as AddressInfo;
      await new Promise<void>((resolve) => probe.close(() => resolve()));
      const repoURL = `http://127.0.0.1:${port}/gone.git`;
      const error = await fetchSource(spec({ repoURL }), { cacheDir: tempDir() }).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(UnreachableError);
      expect(error).toMatchObject({ code: 'UNREACHABLE', repoURL });
      expect((error as Error).message).toContain('ECONNREFUSED');
    });

    it('times out on a server that never answers', async () => {
      const { port } = silent.address() as AddressInfo;
      const started = Date.now();
      const error = await resolveRevision(spec({ repoURL: `http://127.0.0.1:${port}/x.git` }), {
        timeoutMs: 300,
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UnreachableError);
      expect((error as Error).message).toContain('did not answer in time');
      expect(Date.now() - started).toBeLessThan(5_000);
    });
  });

  it('does not write a symlink that leaves the application path, and reports it', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'apps/guestbook'), { recursive: true });
    writeFileSync(join(dir, 'apps/guestbook/cm.yaml'), 'kind: ConfigMap\n');
    symlinkSync('/etc/hostname', join(dir, 'apps/guestbook/leak.yaml'));
    const name = uniqueName('symlink');
    const url = server.createRepo(name);
    commitTree(server.repoPath(name), 'main', { dir });
    const result = await fetchSource(spec({ repoURL: url, path: 'apps/guestbook' }), {
      cacheDir: tempDir(),
    });
    expect(result.refusedLinks).toEqual([
      { path: 'leak.yaml', target: '/etc/hostname', reason: 'its target is an absolute path' },
    ]);
    expect(existsSync(join(result.appDir, 'leak.yaml'))).toBe(false);
    expect(readFileSync(join(result.appDir, 'cm.yaml'), 'utf8')).toBe('kind: ConfigMap\n');
  });
});
