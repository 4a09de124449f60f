import { generateKeyPairSync } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ForgeCredentialMap,
  forgeLookup,
  type ForgeLookupOptions,
} from '../../shared/forge/forge-credentials.ts';
import { apiURL } from '../../shared/forge/forge-http.ts';
import type { ForgeTarget } from '../../shared/forge/types.ts';
import {
  startBitbucketStandin,
  type BitbucketStandin,
} from '../harness/forge-standins/bitbucket-standin.ts';
import {
  startGitHubStandin,
  type GitHubStandin,
} from '../harness/forge-standins/github-standin.ts';
import { expectNoNewViolations } from '../harness/forge-standins/no-new-violations.ts';

const SECRET = 'forge-secret-hunter2-token';
const keys = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
});
const STATUS = {
  sha: 'c'.repeat(40),
  state: 'success' as const,
  context: 'driftless/app',
  description: 'synced',
};

const refusals = (map: Record<string, unknown>) => {
  const result = ForgeCredentialMap.safeParse(map);
  return result.success ? [] : result.error.issues.map((i) => i.message);
};

/** Every kind of credential, pointed at `api` (a listener standing for the forge). */
const CREDENTIALS: [string, (api: string) => Record<string, unknown>][] = [
  ['github token', (api) => ({ type: 'github', token: SECRET, apiURL: api })],
  [
    'github app',
    (api) => ({
      type: 'github-app',
      appId: 9,
      installationId: 3,
      privateKey: keys.privateKey,
      apiURL: api,
    }),
  ],
  ['gitlab', (api) => ({ type: 'gitlab', token: SECRET, apiURL: api })],
  ['bitbucket access token', (api) => ({ type: 'bitbucket', token: SECRET, apiURL: api })],
  [
    'bitbucket app password',
    (api) => ({ type: 'bitbucket', username: 'driftless', appPassword: SECRET, apiURL: api }),
  ],
  ['gitea', (api) => ({ type: 'gitea', token: SECRET, apiURL: api })],
];

describe('forge credentials: parsing', () => {
  it.each([
    [
      'https://github.com/acme',
      { type: 'github', token: SECRET },
      'https://github.com/acme/app.git',
      'https://api.github.com',
    ],
    [
      'https://ghe.example.com/acme',
      { type: 'github', token: SECRET },
      'https://ghe.example.com/acme/app',
      'https://ghe.example.com/api/v3',
    ],
    [
      'https://gitlab.com/acme',
      { type: 'gitlab', token: SECRET },
      'https://gitlab.com/acme/x/app.git',
      'https://gitlab.com/api/v4',
    ],
    [
      'https://bitbucket.org/acme',
      { type: 'bitbucket', token: SECRET },
      'https://bitbucket.org/acme/app.git',
      'https://api.bitbucket.org/2.0',
    ],
    [
      'https://git.example.com',
      { type: 'gitea', token: SECRET },
      'https://git.example.com/acme/app.git',
      'https://git.example.com/api/v1',
    ],
    [
      'https://git.example.com/gitea/acme',
      { type: 'gitea', token: SECRET, apiURL: 'https://git.example.com/gitea/api/v1/' },
      'https://git.example.com/gitea/acme/app.git',
      'https://git.example.com/gitea/api/v1',
    ],
  ])('%s: the API is found at the right base', (prefix, credential, repoURL, api) => {
    const [entry] = ForgeCredentialMap.parse({ [prefix]: credential });
    expect(entry!.apiBase).toBe(api);
    expect(forgeLookup([entry!])(repoURL)?.repo.name).toBe('app');
  });

  it.each([
    ['http://github.example.com/acme', { type: 'github', token: SECRET }],
    ['http://10.0.0.1/', { type: 'gitea', token: SECRET }],
    [
      'https://gitlab.example.com/',
      { type: 'gitlab', token: SECRET, apiURL: 'http://gitlab.example.com/api/v4' },
    ],
    [
      'https://git.example.com/',
      { type: 'gitea', token: SECRET, apiURL: 'http://127.0.0.1.evil.net/api/v1' },
    ],
  ])(
    'plain http to a host that is not loopback is refused, prefix or apiURL: %s %j',
    (prefix, credential) => {
      expect(refusals({ [prefix]: credential }).join()).toMatch(
        /is plain http:\/\/: credentials go over https only/,
      );
    },
  );

  it.each([
    [
      'https://bot:hunter2@github.com/acme',
      { type: 'github', token: SECRET },
      /credential prefix .* must not embed credentials/,
    ],
    [
      'https://github.com/acme?token=hunter2',
      { type: 'github', token: SECRET },
      /must not have a query or fragment/,
    ],
    [
      'https://github.com/acme',
      { type: 'github', token: SECRET, apiURL: 'https://bot:hunter2@api.github.com' },
      /apiURL .* must not embed credentials/,
    ],
    [
      'https://github.com/acme',
      { type: 'github', token: SECRET, apiURL: 'https://api.github.com/#hunter2' },
      /apiURL .* must not have a query or fragment/,
    ],
  ])('%s is refused without quoting the secret part', (prefix, credential, why) => {
    const messages = refusals({ [prefix]: credential }).join('; ');
    expect(messages).toMatch(why);
    expect(messages).not.toContain('hunter2');
    expect(messages).not.toContain(SECRET);
  });

  it('refuses two prefixes that name the same scope', () => {
    expect(
      refusals({
        'https://github.com/acme': { type: 'github', token: SECRET },
        'https://GitHub.com:443/acme/': { type: 'github', token: 'other-token' },
      }),
    ).toEqual(['two forge credential prefixes name https://github.com/acme/']);
  });

  it('refuses Bitbucket off bitbucket.org without apiURL: Bitbucket Data Center has another API', () => {
    expect(
      refusals({ 'https://bitbucket.example.com/': { type: 'bitbucket', token: SECRET } }),
    ).toEqual([
      'https://bitbucket.example.com/: bitbucket credentials need apiURL off bitbucket.org',
    ]);
  });

  it.each([
    [
      {
        type: 'github-app',
        appId: 1,
        installationId: 2,
        privateKey: `-----BEGIN RSA PRIVATE KEY-----\n${SECRET}\n-----END RSA PRIVATE KEY-----`,
      },
    ],
    [{ type: 'github', tokn: SECRET }],
    [{ type: 'gitlab', token: '' }],
    [{ type: 'bitbucket', username: 'me' }],
    [{ type: 'gogs', token: SECRET }],
  ])('refuses a malformed credential without quoting it: %j', (credential) => {
    const messages = refusals({ 'https://forge.example.com/': credential });
    expect(messages.length).toBeGreaterThan(0);
    expect(messages.join()).not.toContain(SECRET);
  });
});

describe('forge lookup: which repositories a credential reaches', () => {
  const lookup = forgeLookup(
    ForgeCredentialMap.parse({
      'https://github.com/acme': { type: 'github', token: 'org-token' },
      'https://github.com/acme/special': { type: 'github', token: 'repo-token' },
      'https://gitlab.com/acme': { type: 'gitlab', token: SECRET },
    }),
  );

  it.each([
    'https://github.com.evil.net/acme/app',
    'https://github.com/acme-evil/app',
    'https://github.com%2eevil.net/acme/app',
    'https://someone@github.com/acme/app',
    'http://github.com/acme/app',
    'https://github.com/other/app',
    'https://bitbucket.org/acme/app',
    'git@github.com:acme/app.git',
    'not a url',
  ])('%s gets no client', (repoURL) => {
    expect(lookup(repoURL)).toBeUndefined();
  });

  it.each([
    'https://github.com/acme',
    'https://github.com/acme/app/tree/main',
    'https://github.com/acme/a%2F..%2F..%2Fevil',
    'https://github.com/acme/%2e%2e',
    'https://gitlab.com/acme',
    'https://gitlab.com/acme/sub%2Fhidden/app',
  ])('%s, not plainly a repository under the scope, gets no client', (repoURL) => {
    expect(lookup(repoURL)).toBeUndefined();
  });

  it('the most specific prefix wins, and each scope keeps one client', () => {
    const org = lookup('https://github.com/acme/app.git')!;
    const special = lookup('https://github.com/acme/special/')!;
    expect(org.repo).toEqual({ owner: 'acme', name: 'app' });
    expect(special.repo).toEqual({ owner: 'acme', name: 'special' });
    expect(special.client).not.toBe(org.client);
    expect(lookup('https://GitHub.com/acme/other')!.client).toBe(org.client);
    expect(lookup('https://gitlab.com/acme/a/b/c.git')!.repo).toEqual({
      owner: 'acme/a/b',
      name: 'c',
    });
  });
});

describe('forge requests: the API base is the only place the credential goes', () => {
  const connection = {
    forge: 'gitlab' as const,
    apiBase: 'https://git.example.com/api/v4',
    secrets: [],
    timeoutMs: 1,
    maxResponseBytes: 1,
  };
  it.each([
    ['/../../admin', false],
    ['/%2e%2e/%2e%2e/admin', false],
    ['/projects/1/../../../x', false],
    ['https://git.example.com/api/v4x/projects', false],
    ['https://git.example.com:8443/api/v4/projects', false],
    ['http://git.example.com/api/v4/projects', false],
    ['https://evil.example/api/v4/projects', false],
    ['https://user:pw@git.example.com/api/v4/projects', false],
    ['//evil.example/api/v4/projects', true],
    ['/projects/acme%2Fapp/notes', true],
    ['https://git.example.com/api/v4/projects?page=2', true],
  ])('%s stays under the API: %s', (target, allowed) => {
    const url = apiURL(connection, target);
    expect(url !== undefined).toBe(allowed);
    if (url) expect(url.origin + url.pathname).toMatch(/^https:\/\/git\.example\.com\/api\/v4\//);
  });
});

interface Seen {
  method: string;
  url: string;
  /** Authorization, or GitLab's PRIVATE-TOKEN. */
  credential: string | undefined;
}

interface Listener {
  url: string;
  seen: Seen[];
  stop(): Promise<void>;
}

/** A real HTTP listener that records every request and answers with `handle`. */
async function listen(
  host: string,
  handle: (req: IncomingMessage, res: ServerResponse, body: string) => void,
): Promise<Listener> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    const gitlab = req.headers['private-token'];
    const credential =
      req.headers.authorization ?? (typeof gitlab === 'string' ? gitlab : undefined);
    seen.push({ method: req.method ?? '', url: req.url ?? '', credential });
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => handle(req, res, body));
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return {
    url: `http://${host}:${(server.address() as AddressInfo).port}`,
    seen,
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** An App's token endpoint answers a token, so the request after it is the one under test. */
const INSTALLATION_TOKEN = 'ghs_installation-token-secret';
function answerToken(req: IncomingMessage, res: ServerResponse): boolean {
  if (!req.url?.includes('/access_tokens')) return false;
  const expires = new Date(Date.now() + 3600_000).toISOString();
  res
    .writeHead(201, { 'content-type': 'application/json' })
    .end(JSON.stringify({ token: INSTALLATION_TOKEN, expires_at: expires }));
  return true;
}

const targetOn = (
  api: string,
  credential: Record<string, unknown>,
  options?: ForgeLookupOptions,
): ForgeTarget => {
  const origin = new URL(api).origin;
  return forgeLookup(
    ForgeCredentialMap.parse({ [origin]: credential }),
    options,
  )(`${origin}/acme/app.git`)!;
};

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (e: unknown) => e as Error,
  );

describe('real listeners: a redirect from the API is not followed', () => {
  let elsewhere: Listener;
  beforeAll(async () => {
    elsewhere = await listen('127.0.0.2', (_req, res) => res.writeHead(200).end('{}'));
  });
  afterAll(() => elsewhere.stop());

  it.each(
    CREDENTIALS.flatMap(([kind, credential]) =>
      [301, 302, 307, 308].map((status) => [kind, status, credential] as const),
    ),
  )(
    '%s, %i to another host: an error, and the other host sees nothing',
    async (_kind, status, credential) => {
      const api = await listen('127.0.0.1', (req, res) => {
        if (answerToken(req, res)) return;
        res.writeHead(status, { location: `${elsewhere.url}${req.url}` }).end();
      });
      try {
        const before = elsewhere.seen.length;
        const { client, repo } = targetOn(`${api.url}/api`, credential(`${api.url}/api`));
        const error = await failure(client.setCommitStatus(repo, STATUS));
        expect(error?.message).toMatch(
          new RegExp(`: ${status} a redirect to http://127\\.0\\.0\\.2:\\d+/api/.*, not followed`),
        );
        expect(elsewhere.seen.slice(before)).toEqual([]);
        expect(api.seen.at(-1)?.credential).toBeDefined();
      } finally {
        await api.stop();
      }
    },
  );

  it('a redirect to the same API is not followed either: it would keep the token', async () => {
    const api = await listen('127.0.0.1', (req, res) =>
      res.writeHead(307, { location: `${req.url}-moved` }).end(),
    );
    try {
      const { client, repo } = targetOn(`${api.url}/api/v4`, {
        type: 'gitlab',
        token: SECRET,
        apiURL: `${api.url}/api/v4`,
      });
      expect((await failure(client.setCommitStatus(repo, STATUS)))?.message).toMatch(
        /307 a redirect to .*-moved, not followed/,
      );
      expect(api.seen).toHaveLength(1);
    } finally {
      await api.stop();
    }
  });
});

describe('real listeners: the credential is in no error message', () => {
  it.each(CREDENTIALS)(
    '%s: a forge that echoes the request back is quoted redacted',
    async (kind, credential) => {
      const api = await listen('127.0.0.1', (req, res, body) => {
        if (answerToken(req, res)) return;
        const basic = req.headers.authorization?.startsWith('Basic ')
          ? Buffer.from(req.headers.authorization.slice(6), 'base64').toString()
          : '';
        const echo = `you sent ${JSON.stringify(req.headers)} ${basic} ${body}`;
        res
          .writeHead(422, { 'content-type': 'application/json' })
          .end(JSON.stringify({ message: echo, error: { message: echo } }));
      });
      try {
        const { client, repo } = targetOn(`${api.url}/api`, credential(`${api.url}/api`));
        const errors = await Promise.all([
          failure(client.setCommitStatus(repo, STATUS)),
          failure(client.upsertPullRequestComment(repo, 1, '<!-- m -->', 'body')),
          failure(client.pullRequestFiles(repo, 1)),
        ]);
        const sent = api.seen.map((s) => s.credential!).filter(Boolean);
        const secrets = [
          SECRET,
          INSTALLATION_TOKEN,
          Buffer.from(`driftless:${SECRET}`).toString('base64'),
          ...sent,
          ...sent.flatMap((a) => a.split(' ').slice(1)),
        ];
        const forge = kind.split(' ')[0];
        for (const error of errors) {
          // The forge, method, path and status, then the forge's own (redacted) words.
          expect(error?.message).toMatch(
            new RegExp(`^${forge} (GET|POST) /api/\\S+: 422 you sent .*\\[redacted\\]`),
          );
          for (const secret of secrets) expect(error?.message).not.toContain(secret);
        }
      } finally {
        await api.stop();
      }
    },
  );
});

describe('real listeners: bounded answers', () => {
  it.each([
    ['github token', true],
    ['gitlab', false],
  ] as const)(
    '%s: a response over 5 MiB is refused (content-length declared: %s)',
    async (kind, declared) => {
      const big = JSON.stringify({ message: 'x'.repeat(6 * 1024 * 1024) });
      const api = await listen('127.0.0.1', (_req, res) => {
        res.writeHead(200, {
          'content-type': 'application/json',
          ...(declared ? { 'content-length': String(big.length) } : {}),
        });
        res.end(big);
      });
      try {
        const credential = CREDENTIALS.find(([k]) => k === kind)![1];
        const { client, repo } = targetOn(`${api.url}/api`, credential(`${api.url}/api`));
        expect((await failure(client.setCommitStatus(repo, STATUS)))?.message).toMatch(
          /answered more than 5242880 bytes/,
        );
      } finally {
        await api.stop();
      }
    },
  );

  it('a lookup may bound answers tighter', async () => {
    const api = await listen('127.0.0.1', (_req, res) =>
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ pad: 'x'.repeat(2048) })),
    );
    try {
      const credential = { type: 'bitbucket', token: SECRET, apiURL: `${api.url}/api` };
      const { client, repo } = targetOn(`${api.url}/api`, credential, { maxResponseBytes: 1024 });
      expect((await failure(client.setCommitStatus(repo, STATUS)))?.message).toMatch(
        /^bitbucket POST \/api\/repositories\/acme\/app\/commit\/c+\/statuses\/build: 200 answered more than 1024 bytes$/,
      );
    } finally {
      await api.stop();
    }
  });

  it.each(['github token', 'gitea'])(
    '%s: a forge that never answers is given up on',
    async (kind) => {
      const api = await listen('127.0.0.1', () => {});
      try {
        const credential = CREDENTIALS.find(([k]) => k === kind)![1];
        const { client, repo } = targetOn(`${api.url}/api`, credential(`${api.url}/api`), {
          timeoutMs: 300,
        });
        expect((await failure(client.setCommitStatus(repo, STATUS)))?.message).toMatch(
          /no answer within 0\.3 s/,
        );
      } finally {
        await api.stop();
      }
    },
  );
});

describe('real listeners: a next page or redirect elsewhere is not fetched', () => {
  let elsewhere: Listener;
  beforeAll(async () => {
    elsewhere = await listen('127.0.0.2', (_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end('[]'),
    );
  });
  afterAll(() => elsewhere.stop());

  /** A forge whose listing of changed files links its next page on another host. */
  const pagingAway = (kind: string) => (req: IncomingMessage, res: ServerResponse) => {
    const json = (body: unknown, headers: Record<string, string> = {}) =>
      res
        .writeHead(200, { 'content-type': 'application/json', ...headers })
        .end(JSON.stringify(body));
    const path = req.url?.split('?')[0] ?? '';
    if (kind === 'gitlab' && path.endsWith('/merge_requests/1'))
      return json({ changes_count: '1' });
    if (!kind.startsWith('bitbucket'))
      return json([], { link: `<${elsewhere.url}${path}?page=2>; rel="next"` });
    if (path.endsWith('/pullrequests/1/diffstat')) {
      return res
        .writeHead(302, { location: '/api/repositories/acme/app/diffstat/a..b?topic=true' })
        .end();
    }
    return json({ values: [], next: `${elsewhere.url}${path}?page=2` });
  };

  it.each(['github token', 'gitlab', 'gitea', 'bitbucket access token'])(
    '%s: a next page on another host is refused',
    async (kind) => {
      const api = await listen('127.0.0.1', pagingAway(kind));
      try {
        const credential = CREDENTIALS.find(([k]) => k === kind)![1];
        const { client, repo } = targetOn(`${api.url}/api`, credential(`${api.url}/api`));
        expect((await failure(client.pullRequestFiles(repo, 1)))?.message).toMatch(
          /refused: not under the API/,
        );
        expect(elsewhere.seen).toEqual([]);
      } finally {
        await api.stop();
      }
    },
  );

  it("bitbucket: the pull request diffstat's redirect is followed only to the same repository's diffstat", async () => {
    const api = await listen('127.0.0.1', (_req, res) =>
      res.writeHead(302, { location: '/api/repositories/acme/other/diffstat/a..b' }).end(),
    );
    try {
      const { client, repo } = targetOn(`${api.url}/api`, {
        type: 'bitbucket',
        token: SECRET,
        apiURL: `${api.url}/api`,
      });
      const error = await failure(client.pullRequestFiles(repo, 1));
      expect(error?.message).toMatch(
        /302 a redirect to http:\/\/127\.0\.0\.1:\d+\/api\/repositories\/acme\/other\/diffstat\/a\.\.b, not followed/,
      );
      expect(api.seen.map((s) => s.url)).toEqual([
        '/api/repositories/acme/app/pullrequests/1/diffstat',
      ]);
    } finally {
      await api.stop();
    }
  });
});

describe("comments over the forge's limit are cut with a note (stand-ins)", () => {
  const marker = '<!-- driftless:preview -->';

  describe("GitHub (stand-in validated against GitHub's OpenAPI description)", () => {
    let github: GitHubStandin;
    beforeAll(async () => {
      github = await startGitHubStandin();
      github.addUser(SECRET, 'driftless-bot');
    });
    expectNoNewViolations(() => github);
    afterAll(() => github.stop());

    it('a 100,000-character preview is posted cut to 65536 characters, marker kept, then updated in place', async () => {
      const { client, repo } = targetOn(github.apiURL, {
        type: 'github',
        token: SECRET,
        apiURL: github.apiURL,
      });
      await client.upsertPullRequestComment(repo, 1, marker, `${'a'.repeat(100_000)}${marker}`);
      await client.upsertPullRequestComment(repo, 1, marker, `${marker}${'b'.repeat(100_000)}`);
      const [comment, ...others] = github.comments('acme/app', 1);
      expect(others).toEqual([]);
      expect(comment!.body.length).toBeLessThanOrEqual(65536);
      expect(comment!.body.length).toBeGreaterThan(65000);
      expect(comment!.body.startsWith(marker)).toBe(true);
      expect(comment!.body).toMatch(
        /b+\n\n… \(cut: the full text is longer than GitHub's limit of 65536 characters for a comment\)$/,
      );
    });
  });

  describe('Bitbucket Cloud (stand-in, documented request shapes)', () => {
    let bitbucket: BitbucketStandin;
    beforeAll(async () => {
      bitbucket = await startBitbucketStandin();
      bitbucket.addUser({ token: SECRET }, 'driftless');
    });
    expectNoNewViolations(() => bitbucket);
    afterAll(() => bitbucket.stop());

    it('a preview over 32767 characters is cut with a note', async () => {
      const { client, repo } = targetOn(bitbucket.apiURL, {
        type: 'bitbucket',
        token: SECRET,
        apiURL: bitbucket.apiURL,
      });
      await client.upsertPullRequestComment(repo, 2, marker, '😀'.repeat(20_000));
      const [comment] = bitbucket.comments('acme/app', 2);
      expect(comment!.raw.length).toBeLessThanOrEqual(32767);
      expect(comment!.raw).toMatch(
        /^<!-- driftless:preview -->\n(😀)+\n\n… \(cut: .*Bitbucket's limit of 32767 characters/u,
      );
    });
  });
});
