import { mkdtempSync, rmSync } from 'node:fs';
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gitAuthFromEnv } from '../../cli/context.ts';
import { CliError } from '../../cli/errors.ts';
import { CredentialScope, inScope } from '../../shared/secrets/credential-scope.ts';
import { gitAuthFrom, GitCredentialMap } from '../../shared/secrets/git-credentials.ts';
import {
  fetchSource,
  resolveRevision,
  SourceSpec,
  type RemoteOptions,
} from '../../shared/source/index.ts';
import { uniqueName } from '../harness/context.ts';
import { commitTree } from '../harness/git-fixtures.ts';
import { startGitServer, type GitServer } from '../harness/git-server.ts';

const TOKEN = { username: 'bot', password: 'ghp_secret-token' };

const scope = (prefix: string) => CredentialScope.parse(prefix);
const refusal = (prefix: string) => {
  const result = CredentialScope.safeParse(prefix);
  return result.success ? undefined : result.error.issues.map((i) => i.message).join('; ');
};

describe('credential prefixes: parsing', () => {
  it.each([
    ['https://github.com', 'https://github.com', '/'],
    ['https://github.com/acme', 'https://github.com', '/acme/'],
    ['https://github.com/acme/', 'https://github.com', '/acme/'],
    ['HTTPS://GitHub.COM:443/acme', 'https://github.com', '/acme/'],
    ['https://git.example.com:8443/a/b.git', 'https://git.example.com:8443', '/a/b.git/'],
    ['http://127.0.0.1:8080/repos', 'http://127.0.0.1:8080', '/repos/'],
    ['http://127.9.8.7', 'http://127.9.8.7', '/'],
    ['http://localhost:3000', 'http://localhost:3000', '/'],
    ['http://[::1]:9000/x', 'http://[::1]:9000', '/x/'],
    ['http://[0:0:0:0:0:0:0:1]/', 'http://[::1]', '/'],
  ])('%s → origin %s, path %s', (prefix, origin, path) => {
    expect(scope(prefix)).toEqual({ origin, path });
  });

  it.each([
    'http://git.example.com/acme',
    'http://github.com',
    'http://127.0.0.1.evil.net/',
    'http://localhost.evil.net/',
    'http://128.0.0.1/',
    'http://[::2]/',
    'http://10.0.0.1/',
  ])('plain http to a host that is not loopback is refused: %s', (prefix) => {
    expect(refusal(prefix)).toMatch(/is plain http:\/\/: credentials go over https only/);
  });

  it.each([
    ['https://bot:hunter2@github.com/acme', /must not embed credentials/],
    ['https://bot@github.com/acme', /must not embed credentials/],
    ['https://github.com/acme?token=hunter2', /must not have a query or fragment/],
    ['https://github.com/acme#hunter2', /must not have a query or fragment/],
    ['ssh://github.com/acme', /is not https:\/\//],
    ['file:///srv/git', /is not https:\/\//],
    ['github.com/acme', /is not a URL/],
    ['hunter2', /is not a URL/],
  ])('%s is refused (%s), and no secret part is echoed', (prefix, why) => {
    const message = refusal(prefix);
    expect(message).toMatch(why);
    expect(message).not.toContain('hunter2');
  });
});

describe('credential prefixes: matching', () => {
  it.each([
    // The brief's cases: a path-segment boundary, and the host compared whole.
    ['https://github.com/acme', 'https://github.com/acme/repo.git', true],
    ['https://github.com/acme/', 'https://github.com/acme/repo.git', true],
    ['https://github.com/acme', 'https://github.com/acme-evil/repo.git', false],
    ['https://github.com/acme/', 'https://github.com/acme-evil/repo.git', false],
    ['https://github.com/acme', 'https://github.com.evil.net/acme/repo.git', false],
    ['https://github.com', 'https://github.com.evil.net/acme/repo.git', false],
    ['https://github.com', 'https://evil-github.com/acme/repo.git', false],
    // One repository as the prefix.
    ['https://github.com/acme/repo.git', 'https://github.com/acme/repo.git', true],
    ['https://github.com/acme/repo.git', 'https://github.com/acme/repo.git/', true],
    ['https://github.com/acme/repo', 'https://github.com/acme/repo-fork.git', false],
    // Origin exactly: scheme, host, port; case and default ports normalised.
    ['https://github.com/acme', 'HTTPS://GitHub.com:443/acme/repo.git', true],
    ['https://github.com/acme', 'https://github.com:8443/acme/repo.git', false],
    ['https://github.com/acme', 'http://github.com/acme/repo.git', false],
    ['https://git.example.com:8443', 'https://git.example.com/acme/repo.git', false],
    ['http://127.0.0.1:8080', 'http://127.0.0.1:8081/repo.git', false],
    ['http://127.0.0.1:8080', 'http://127.0.0.2:8080/repo.git', false],
    ['http://127.0.0.1:8080', 'http://localhost:8080/repo.git', false],
    // Paths are compared after the parser resolved dot segments.
    ['https://github.com/acme', 'https://github.com/acme/../evil/repo.git', false],
    ['https://github.com/acme', 'https://github.com/acme/%2e%2e/evil/repo.git', false],
    ['https://github.com/acme', 'https://github.com/evil/../acme/repo.git', true],
    // User info in the repository URL: never, including the `host:port@` trick.
    ['https://github.com/acme', 'https://someone@github.com/acme/repo.git', false],
    ['https://evil.net', 'https://github.com:443@evil.net/acme/repo.git', false],
    // Spellings the legacy parser (used by the transport) reads differently.
    ['https://github.com.evil.net', 'https://github.com%2eevil.net/acme/repo.git', false],
    ['http://127.0.0.1', 'http://0x7f.1/repo.git', false],
    // Not URLs, and schemes that are not http(s).
    ['https://github.com', 'git@github.com:acme/repo.git', false],
    ['https://github.com', 'not a url', false],
  ])('%s covers %s: %s', (prefix, repoURL, expected) => {
    expect(inScope(scope(prefix), repoURL)).toBe(expected);
  });
});

describe('the Secrets Manager credentials map', () => {
  const org = { username: 'org', password: 'org-token' };
  const repo = { username: 'repo', password: 'repo-token' };

  it('the most specific prefix wins; look-alike hosts and paths get nothing', () => {
    const auth = gitAuthFrom(
      GitCredentialMap.parse({
        'https://github.com/acme': org,
        'https://github.com/acme/special.git': repo,
      }),
    );
    expect(auth('https://github.com/acme/apps.git')).toEqual(org);
    expect(auth('https://github.com/acme/special.git')).toEqual(repo);
    expect(auth('https://github.com/acme/special.git-evil')).toEqual(org);
    expect(auth('https://github.com/acme-evil/apps.git')).toBeUndefined();
    expect(auth('https://github.com.evil.net/acme/apps.git')).toBeUndefined();
    expect(auth('http://github.com/acme/apps.git')).toBeUndefined();
  });

  it('refuses an entry that is not a safe prefix, naming it without its secret parts', () => {
    const result = GitCredentialMap.safeParse({
      'https://github.com/acme': org,
      'http://git.internal.example/': repo,
      'https://bot:hunter2@gitlab.com/': repo,
    });
    expect(result.success).toBe(false);
    const messages = result.error!.issues.map((i) => i.message);
    expect(messages).toEqual([
      expect.stringContaining('"http://git.internal.example/" is plain http://'),
      expect.stringContaining('"https://gitlab.com/" must not embed credentials'),
    ]);
    expect(messages.join()).not.toContain('hunter2');
  });

  it('refuses two prefixes that name the same scope', () => {
    const result = GitCredentialMap.safeParse({
      'https://github.com/acme': org,
      'https://GitHub.com:443/acme/': repo,
    });
    expect(result.error?.issues.map((i) => i.message)).toEqual([
      'two credential prefixes name https://github.com/acme/',
    ]);
  });

  it('still validates the credentials themselves', () => {
    expect(
      GitCredentialMap.safeParse({ 'https://github.com/': { username: 'x', password: '' } })
        .success,
    ).toBe(false);
  });
});

describe('CLI credentials from the environment', () => {
  const env = (vars: Record<string, string>) => gitAuthFromEnv(vars);

  it('without DRIFTLESS_GIT_URL the token goes nowhere, and the 401 hint says why', async () => {
    const options = env({ DRIFTLESS_GIT_PASSWORD: TOKEN.password });
    expect(options.auth).toBeUndefined();
    expect(options.authHint).toMatch(
      /DRIFTLESS_GIT_PASSWORD is sent nowhere until DRIFTLESS_GIT_URL/,
    );
  });

  it('with DRIFTLESS_GIT_URL the token goes to that prefix only', async () => {
    const { auth } = env({
      DRIFTLESS_GIT_URL: 'https://github.com/acme',
      DRIFTLESS_GIT_PASSWORD: TOKEN.password,
    });
    expect(await auth!('https://github.com/acme/apps.git')).toEqual({
      username: 'git',
      password: TOKEN.password,
    });
    expect(await auth!('https://github.com/acme-evil/apps.git')).toBeUndefined();
    expect(await auth!('https://gitlab.com/acme/apps.git')).toBeUndefined();
  });

  it.each([
    ['http://git.internal.example', /DRIFTLESS_GIT_URL: .* is plain http:\/\//],
    ['github.com', /DRIFTLESS_GIT_URL: credential prefix is not a URL/],
  ])('DRIFTLESS_GIT_URL=%s is a usage error', (url, message) => {
    const run = () => env({ DRIFTLESS_GIT_URL: url, DRIFTLESS_GIT_PASSWORD: TOKEN.password });
    expect(run).toThrow(CliError);
    expect(run).toThrow(message);
  });
});

interface Seen {
  method: string;
  path: string;
  authorization: string | undefined;
}

interface Listener {
  url: string;
  seen: Seen[];
  stop(): Promise<void>;
}

/** A real HTTP listener that records what reached it and answers with `handle` (default: 401). */
async function listen(
  host: string,
  handle: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) =>
    res.writeHead(401, { 'www-authenticate': 'Basic realm="x"' }).end(),
): Promise<Listener> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    seen.push({
      method: req.method ?? '',
      path: req.url ?? '',
      authorization: req.headers.authorization,
    });
    // Drain the body: a 307'd POST arrives with one.
    req.resume();
    req.on('end', () => handle(req, res));
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    seen,
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (e: unknown) => e,
  );

describe('real listeners: credentials only reach their own origin', () => {
  let git: GitServer;
  let victim: Listener;
  const cacheDirs: string[] = [];
  const cacheDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'driftless-security-'));
    cacheDirs.push(dir);
    return dir;
  };
  const spec = (repoURL: string) => SourceSpec.parse({ repoURL });

  beforeAll(async () => {
    git = await startGitServer();
    victim = await listen('127.0.0.1');
  });
  afterAll(async () => {
    await Promise.all([git.stop(), victim.stop()]);
    for (const dir of cacheDirs) rmSync(dir, { recursive: true, force: true });
  });

  const privateRepo = () => {
    const name = uniqueName('private');
    const url = git.createRepo(name, { auth: TOKEN });
    const sha = commitTree(git.repoPath(name), 'main', { 'app/cm.yaml': 'kind: ConfigMap\n' });
    return { url, sha };
  };

  it('control: DRIFTLESS_GIT_URL naming the server → the fetch is authenticated', async () => {
    const repo = privateRepo();
    const options = gitAuthFromEnv({
      DRIFTLESS_GIT_URL: git.url,
      DRIFTLESS_GIT_USERNAME: TOKEN.username,
      DRIFTLESS_GIT_PASSWORD: TOKEN.password,
    });
    const result = await fetchSource(spec(repo.url), { cacheDir: cacheDir(), ...options });
    expect(result.revision).toBe(repo.sha);
  });

  const onAnother = (part: 'host' | 'port' | 'scheme') => (url: string) => {
    const other = new URL(url);
    if (part === 'host') other.hostname = '127.0.0.2';
    if (part === 'port') other.port = String(Number(other.port) + 1);
    if (part === 'scheme') other.protocol = 'https:';
    return other.href;
  };

  it.each([
    ['no DRIFTLESS_GIT_URL', undefined, /sent nowhere until DRIFTLESS_GIT_URL/],
    [
      'another host',
      onAnother('host'),
      /sent only under DRIFTLESS_GIT_URL \(http:\/\/127\.0\.0\.2:/,
    ],
    ['another port', onAnother('port'), /sent only under DRIFTLESS_GIT_URL/],
    [
      'https, same host and port',
      onAnother('scheme'),
      /sent only under DRIFTLESS_GIT_URL \(https:/,
    ],
  ])(
    'CLI, %s: the listener sees requests but no Authorization; the 401 names the variable',
    async (_case, prefixOf, hint) => {
      const before = victim.seen.length;
      const options = gitAuthFromEnv({
        ...(prefixOf ? { DRIFTLESS_GIT_URL: prefixOf(victim.url) } : {}),
        DRIFTLESS_GIT_PASSWORD: TOKEN.password,
      });
      const error = await failure(resolveRevision(spec(`${victim.url}/repo.git`), options));
      expect(error).toMatchObject({ code: 'AUTH_FAILED', statusCode: 401 });
      expect((error as Error).message).toMatch(hint);
      const seen = victim.seen.slice(before);
      expect(seen.length).toBeGreaterThan(0);
      expect(seen.map((s) => s.authorization)).toEqual(seen.map(() => undefined));
    },
  );

  it('CLI, prefix of another path on the same server: the private repo answers 401', async () => {
    const repo = privateRepo();
    const options = gitAuthFromEnv({
      DRIFTLESS_GIT_URL: `${git.url}/other-team`,
      DRIFTLESS_GIT_USERNAME: TOKEN.username,
      DRIFTLESS_GIT_PASSWORD: TOKEN.password,
    });
    const error = await failure(fetchSource(spec(repo.url), { cacheDir: cacheDir(), ...options }));
    expect(error).toMatchObject({ code: 'AUTH_FAILED', statusCode: 401 });
  });

  it('Secrets Manager map: look-alike prefixes send nothing to the listener', async () => {
    const before = victim.seen.length;
    const port = new URL(victim.url).port;
    const auth = gitAuthFrom(
      GitCredentialMap.parse({
        [`http://127.0.0.1:${port}/acme`]: TOKEN,
        [`http://127.0.0.2:${port}/`]: TOKEN,
        [`http://localhost:${port}/`]: TOKEN,
      }),
    );
    for (const path of ['/acme-evil/repo.git', '/acmex.git', '/other/acme/repo.git']) {
      const error = await failure(resolveRevision(spec(`${victim.url}${path}`), { auth }));
      expect(error).toMatchObject({ code: 'AUTH_FAILED', statusCode: 401 });
    }
    const seen = victim.seen.slice(before);
    expect(seen.map((s) => s.path)).toEqual([
      '/acme-evil/repo.git/info/refs?service=git-upload-pack',
      '/acmex.git/info/refs?service=git-upload-pack',
      '/other/acme/repo.git/info/refs?service=git-upload-pack',
    ]);
    expect(seen.map((s) => s.authorization)).toEqual([undefined, undefined, undefined]);
  });
});

/**
 * isomorphic-git's Node client follows redirects itself (up to 10) and drops
 * Authorization and Cookie when one changes the origin; isomorphic-git then
 * sends its POST to the URL it was given, not to where a redirect pointed.
 * These tests pin that behaviour, so an upgrade that loses it fails here.
 */
describe('real listeners: redirects do not carry credentials to another origin', () => {
  let git: GitServer;
  let elsewhere: Listener;
  const auth: RemoteOptions['auth'] = () => TOKEN;
  const spec = (repoURL: string) => SourceSpec.parse({ repoURL });

  beforeAll(async () => {
    git = await startGitServer();
    elsewhere = await listen('127.0.0.2');
  });
  afterAll(() => Promise.all([git.stop(), elsewhere.stop()]));

  /** A listener that answers every request with a redirect to `target` + the same path. */
  const redirector = (status: number, target: () => string) =>
    listen('127.0.0.1', (req, res) =>
      res.writeHead(status, { location: `${target()}${req.url ?? ''}` }).end(),
    );

  it.each([301, 302, 303, 307, 308])(
    'a %i to another host: the credentials stay behind',
    async (status) => {
      const origin = await redirector(status, () => elsewhere.url);
      const before = elsewhere.seen.length;
      try {
        const error = await failure(resolveRevision(spec(`${origin.url}/repo.git`), { auth }));
        expect(error).toMatchObject({ code: 'AUTH_FAILED' });
        expect(origin.seen[0]?.authorization).toMatch(/^Basic /);
        const seen = elsewhere.seen.slice(before);
        expect(seen).toHaveLength(1);
        expect(seen[0]!.authorization).toBeUndefined();
      } finally {
        await origin.stop();
      }
    },
  );

  it('a redirect to another port of the same host: the credentials stay behind', async () => {
    const otherPort = await listen('127.0.0.1');
    const origin = await redirector(302, () => otherPort.url);
    try {
      await failure(resolveRevision(spec(`${origin.url}/repo.git`), { auth }));
      expect(origin.seen[0]?.authorization).toMatch(/^Basic /);
      expect(otherPort.seen.map((s) => s.authorization)).toEqual([undefined]);
    } finally {
      await Promise.all([origin.stop(), otherPort.stop()]);
    }
  });

  it('a redirect to a private repository elsewhere fails with 401: nothing valid was sent', async () => {
    const name = uniqueName('moved');
    git.createRepo(name, { auth: TOKEN });
    commitTree(git.repoPath(name), 'main', { 'a.yaml': 'a: 1\n' });
    // The git server listens on 127.0.0.1: another origin than this listener's.
    const origin = await listen('127.0.0.2', (req, res) => {
      const rest = (req.url ?? '').replace(/^\/repo\.git/, '');
      res.writeHead(301, { location: `${git.url}/${name}.git${rest}` }).end();
    });
    try {
      const error = await failure(resolveRevision(spec(`${origin.url}/repo.git`), { auth }));
      expect(error).toMatchObject({ code: 'AUTH_FAILED', statusCode: 401 });
    } finally {
      await origin.stop();
    }
  });

  it('a 307 of the upload-pack POST to another host: the credentials stay behind', async () => {
    const name = uniqueName('post');
    git.createRepo(name, { auth: TOKEN });
    commitTree(git.repoPath(name), 'main', { 'a.yaml': 'a: 1\n' });
    // Serves the ref advertisement from the real server, then sends the POST elsewhere.
    const origin = await listen('127.0.0.1', (req, res) => {
      if (req.method === 'POST') {
        res.writeHead(307, { location: `${elsewhere.url}${req.url ?? ''}` }).end();
        return;
      }
      const upstream = new URL(req.url ?? '/', git.url);
      httpRequest(upstream, { headers: { ...req.headers, host: upstream.host } }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      }).end();
    });
    const before = elsewhere.seen.length;
    try {
      await failure(resolveRevision(spec(`${origin.url}/${name}.git`), { auth }));
      expect(origin.seen.map((s) => [s.method, s.authorization?.startsWith('Basic ')])).toEqual([
        ['GET', true],
        ['POST', true],
      ]);
      const seen = elsewhere.seen.slice(before);
      expect(seen.map((s) => [s.method, s.authorization])).toEqual([['POST', undefined]]);
    } finally {
      await origin.stop();
    }
  });

  it('a redirect within the origin keeps the credentials, as git does: no new party sees them', async () => {
    const origin = await listen('127.0.0.1', (req, res) => {
      if (req.url?.startsWith('/old.git/')) {
        res.writeHead(301, { location: req.url.replace('/old.git/', '/new.git/') }).end();
      } else res.writeHead(401).end();
    });
    try {
      await failure(resolveRevision(spec(`${origin.url}/old.git`), { auth }));
      expect(origin.seen.map((s) => [s.path.split('/')[1], s.authorization?.slice(0, 6)])).toEqual([
        ['old.git', 'Basic '],
        ['new.git', 'Basic '],
      ]);
    } finally {
      await origin.stop();
    }
  });
});
