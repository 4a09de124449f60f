import { spawn } from 'node:child_process';
import { createHash, generateKeyPairSync, randomUUID, sign, timingSafeEqual } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import {
  Agent,
  createServer,
  request,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve, sep } from 'node:path';
import { parse, stringify } from 'yaml';
import { craftArchive } from './helm-repo.ts';
import { freePort, waitUntil } from './net.ts';
import { startProcess } from './processes.ts';
import { toolPath } from './tools.ts';

export interface OciRegistryRequest {
  method: string;
  /** The request target's path (query string removed). */
  path: string;
  authorization?: string;
  status: number;
}

export interface OciRegistryOptions {
  /**
   * Credentials the registry requires for every request.
   *
   * `basic` (the default) is distribution's `auth.htpasswd`: the registry answers
   * 401 with `WWW-Authenticate: Basic realm=...` and takes the credentials on
   * every request. Real public registries (ECR, GHCR, Docker Hub, Quay) use the
   * token flow instead: 401 with `WWW-Authenticate: Bearer realm=...,service=...,scope=...`,
   * the client trades its credentials at the realm for a short-lived JWT, then
   * sends `Authorization: Bearer <jwt>`. `bearer` is that flow: distribution's
   * `auth.token`, with the token server (`GET /token`, Basic credentials, an
   * EdDSA-signed JWT granting what was asked) served by the harness's front.
   */
  auth?: { username: string; password: string; scheme?: 'basic' | 'bearer' };
}

export interface OciRegistry {
  /** `127.0.0.1:PORT`, plain HTTP (the recording front; the registry itself listens elsewhere). */
  host: string;
  /**
   * Packages a chart from files (`Chart.yaml` with name and version, templates, …)
   * with the real `helm package` and pushes it with the real
   * `helm push <tgz> oci://HOST/NAMESPACE --plain-http` (after `helm registry login`
   * in a scratch HELM_REGISTRY_CONFIG when auth is on). The chart lands at
   * `NAMESPACE/<name>`, tagged with its version (`+` written `_`, as Helm does).
   */
  pushChart(
    namespace: string,
    files: Record<string, string>,
  ): Promise<{ name: string; version: string; tag: string; digest: string }>;
  /**
   * A Flux-style plain-manifest artifact: a tar.gz of the given files (no top
   * folder, regular files only) pushed with the real
   * `oras push --plain-http HOST/REPO:TAG --config cfg.json:application/vnd.cncf.flux.config.v1+json art.tar.gz:application/vnd.cncf.flux.content.v1.tar+gzip`.
   */
  pushArtifact(
    repo: string,
    tag: string,
    files: Record<string, string>,
  ): Promise<{ digest: string }>;
  /** The same with the layer's raw bytes (hostile archives: `../` names, symlinks, huge files). */
  pushArtifactBytes(repo: string, tag: string, tarGz: Buffer): Promise<{ digest: string }>;
  /**
   * Every request the front forwarded (or, in bearer mode, answered at `/token`),
   * in order, the harness's own pushes included (`requests.length = 0` forgets them).
   */
  requests: OciRegistryRequest[];
  /** The last lines of the registry's log, for failure messages. */
  logTail(lines?: number): string;
  stop(): Promise<void>;
}

const FLUX_CONFIG_TYPE = 'application/vnd.cncf.flux.config.v1+json';
const FLUX_CONTENT_TYPE = 'application/vnd.cncf.flux.content.v1.tar+gzip';
/** The OCI distribution spec's repository name and tag grammars. */
const REPO_NAME =
  /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade']);

/** Constant time whatever the lengths: both sides are hashed to 32 bytes first. */
function sameSecret(a: string, b: string): boolean {
  const x = createHash('sha256').update(a).digest();
  const y = createHash('sha256').update(b).digest();
  return timingSafeEqual(x, y);
}

/** Runs a tool to the end; rejects with its output when it fails. */
function runTool(
  command: string,
  args: string[],
  options: { env: Record<string, string>; cwd?: string; input?: string },
): Promise<string> {
  return new Promise((ok, fail) => {
    const child = spawn(command, args, { env: options.env, cwd: options.cwd });
    const out: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => out.push(c));
    child.once('error', fail);
    child.once('close', (code) => {
      const text = Buffer.concat(out).toString('utf8');
      if (code === 0) ok(text);
      else fail(new Error(`${command} ${args.join(' ')} exited ${code}:\n${text.trim()}`));
    });
    child.stdin.end(options.input ?? '');
  });
}

/**
 * A bcrypt htpasswd line. distribution only accepts bcrypt; Debian 12's
 * Python 3.11 `crypt` module (libxcrypt, `$2b$`) makes it without new
 * dependencies. `crypt` is deprecated and gone in Python 3.13. Cost 4
 * (`rounds=16`, bcrypt's minimum): the registry checks the hash on every
 * request, and at the default cost 12 that is about 250 ms each.
 */
async function htpasswdLine(username: string, password: string): Promise<string> {
  const script =
    'import crypt, sys; print(crypt.crypt(sys.stdin.read(), crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16)))';
  const hash = (
    await runTool('python3', ['-W', 'ignore', '-c', script], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      input: password,
    })
  ).trim();
  if (!/^\$2[aby]\$04\$[./A-Za-z0-9]{53}$/.test(hash)) {
    throw new Error(`oci-registry: python3 crypt made no bcrypt hash (${hash})`);
  }
  return `${username}:${hash}\n`;
}

function checkRepo(what: string, name: string): void {
  if (!REPO_NAME.test(name))
    throw new Error(`oci-registry: ${what} ${JSON.stringify(name)} is not an OCI repository name`);
}

/** The manifest digest from `helm push` output (`Digest: sha256:…`). */
function digestFrom(output: string, tool: string): string {
  const m = /Digest: (sha256:[0-9a-f]{64})/.exec(output);
  if (!m) throw new Error(`oci-registry: no digest in ${tool} output:\n${output}`);
  return m[1]!;
}

/**
 * The CNCF distribution registry (the reference OCI registry) on 127.0.0.1
 * over plain HTTP, storing on the filesystem in a temp folder, with deletes
 * enabled and optional auth, behind a small node:http front that records
 * every request. Charts are pushed with the real `helm push`, Flux-style
 * artifacts with the real `oras push`.
 */
export async function startOciRegistry(options: OciRegistryOptions = {}): Promise<OciRegistry> {
  const base = realpathSync(mkdtempSync(join(tmpdir(), 'driftless-oci-registry-')));
  const storage = join(base, 'storage');
  const work = join(base, 'work');
  const home = join(base, 'home');
  for (const dir of [storage, work, home]) mkdirSync(dir);
  const auth = options.auth;
  const scheme = auth ? (auth.scheme ?? 'basic') : undefined;
  const requests: OciRegistryRequest[] = [];

  // The front first: its address is the registry's public host (and the token realm).
  const backendPort = await freePort();
  const agent = new Agent({ keepAlive: true });
  let tokenHandler:
    ((req: IncomingMessage, res: ServerResponse, rec: OciRegistryRequest) => void) | undefined;
  const front = createServer((req, res) => {
    const target = req.url ?? '/';
    const query = target.indexOf('?');
    const record: OciRegistryRequest = {
      method: req.method ?? 'GET',
      path: query >= 0 ? target.slice(0, query) : target,
      status: 0,
    };
    if (req.headers.authorization !== undefined) record.authorization = req.headers.authorization;
    requests.push(record);
    if (tokenHandler && record.path === '/token') return tokenHandler(req, res, record);
    const headers: IncomingHttpHeaders = {};
    for (const [k, v] of Object.entries(req.headers)) if (!HOP_BY_HOP.has(k)) headers[k] = v;
    // The Host header goes through unchanged, so the registry's Location headers name the front.
    const upstream = request(
      { host: '127.0.0.1', port: backendPort, method: req.method, path: target, headers, agent },
      (answer) => {
        record.status = answer.statusCode ?? 0;
        const out: Record<string, string | string[]> = {};
        for (const [k, v] of Object.entries(answer.headers)) {
          if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
        }
        res.writeHead(record.status, out);
        answer.pipe(res);
      },
    );
    upstream.on('error', (err) => {
      record.status = 502;
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`oci-registry front: ${err.message}\n`);
    });
    req.pipe(upstream);
  });
  await new Promise<void>((ok, fail) => {
    front.once('error', fail);
    front.listen(0, '127.0.0.1', () => ok());
  });
  const host = `127.0.0.1:${(front.address() as AddressInfo).port}`;

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- distribution's config is free-form YAML
  const config: any = {
    version: 0.1,
    log: { level: 'info', formatter: 'text' },
    storage: {
      filesystem: { rootdirectory: storage },
      delete: { enabled: true },
      maintenance: { uploadpurging: { enabled: false } },
    },
    http: {
      addr: `127.0.0.1:${backendPort}`,
      secret: 'driftless-test-registry-secret',
      headers: { 'X-Content-Type-Options': ['nosniff'] },
    },
  };
  if (auth && scheme === 'basic') {
    const htpasswd = join(base, 'htpasswd');
    writeFileSync(htpasswd, await htpasswdLine(auth.username, auth.password));
    config.auth = { htpasswd: { realm: 'driftless-oci-registry', path: htpasswd } };
  } else if (auth) {
    // Token auth: distribution trusts the JWKS key by its kid and checks issuer, audience and expiry.
    const service = 'driftless-oci-registry';
    const issuer = 'driftless-oci-token-issuer';
    const kid = randomUUID();
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const jwks = join(base, 'jwks.json');
    writeFileSync(
      jwks,
      JSON.stringify({
        keys: [{ ...publicKey.export({ format: 'jwk' }), kid, alg: 'EdDSA', use: 'sig' }],
      }),
    );
    config.auth = {
      token: { realm: `http://${host}/token`, service, issuer, jwks, signingalgorithms: ['EdDSA'] },
    };
    const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
    tokenHandler = (req, res, record) => {
      const reply = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
        record.status = status;
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify(body));
      };
      const header = req.headers.authorization ?? '';
      const decoded = header.startsWith('Basic ')
        ? Buffer.from(header.slice(6), 'base64').toString()
        : '';
      const colon = decoded.indexOf(':');
      const userOk = sameSecret(decoded.slice(0, Math.max(colon, 0)), auth.username);
      const passOk = sameSecret(decoded.slice(colon + 1), auth.password);
      if (req.method !== 'GET' || colon < 0 || !userOk || !passOk) {
        return reply(
          401,
          { errors: [{ code: 'UNAUTHORIZED', message: 'bad credentials' }] },
          { 'www-authenticate': 'Basic realm="driftless-oci-token"' },
        );
      }
      const params = new URL(req.url ?? '/', 'http://x').searchParams;
      // Everything asked for is granted: `repository:ns/name:pull,push` → that access.
      const access = params
        .getAll('scope')
        .flatMap((s) => s.split(' '))
        .filter(Boolean)
        .map((s) => {
          const [type, ...rest] = s.split(':');
          const actions = rest.pop() ?? '';
          return { type, name: rest.join(':'), actions: actions.split(',') };
        });
      const now = Math.floor(Date.now() / 1000);
      const claims = {
        iss: issuer,
        sub: auth.username,
        aud: params.get('service') ?? service,
        exp: now + 300,
        nbf: now,
        iat: now,
        jti: randomUUID(),
        access,
      };
      const input = `${b64({ alg: 'EdDSA', typ: 'JWT', kid })}.${b64(claims)}`;
      const token = `${input}.${sign(null, Buffer.from(input), privateKey).toString('base64url')}`;
      reply(200, {
        token,
        access_token: token,
        expires_in: 300,
        issued_at: new Date(now * 1000).toISOString(),
      });
    };
  }
  const configPath = join(base, 'config.yml');
  writeFileSync(configPath, stringify(config));

  const registry = startProcess('registry', toolPath('registry'), ['serve', configPath], {
    logFile: join(base, 'registry.log'),
    env: { OTEL_TRACES_EXPORTER: 'none' },
    cwd: base,
  });
  const stopAll = async (): Promise<void> => {
    front.closeAllConnections();
    await new Promise<void>((ok) => front.close(() => ok()));
    agent.destroy();
    await registry.stop();
  };
  try {
    await waitUntil(
      `the registry on 127.0.0.1:${backendPort}`,
      async () => {
        const res = await fetch(`http://127.0.0.1:${backendPort}/v2/`);
        await res.arrayBuffer();
        return res.status === 200 || res.status === 401;
      },
      {
        timeoutMs: 15_000,
        abort: () => (registry.exited ? `it exited:\n${registry.logTail()}` : undefined),
      },
    );
  } catch (err) {
    await stopAll();
    rmSync(base, { recursive: true, force: true });
    throw err;
  }

  const toolEnv: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    HELM_CONFIG_HOME: join(home, 'helm-config'),
    HELM_CACHE_HOME: join(home, 'helm-cache'),
    HELM_DATA_HOME: join(home, 'helm-data'),
    HELM_REGISTRY_CONFIG: join(home, 'helm-registry.json'),
  };
  const orasAuth = auth ? ['--username', auth.username, '--password-stdin'] : [];
  const orasConfig = ['--registry-config', join(home, 'oras-config.json')];
  let helmLogin: Promise<unknown> | undefined;

  const pushChart: OciRegistry['pushChart'] = async (namespace, files) => {
    checkRepo('namespace', namespace);
    const chartYaml = files['Chart.yaml'];
    if (chartYaml === undefined) throw new Error('oci-registry pushChart: Chart.yaml is required');
    const meta = parse(chartYaml) as { name?: unknown; version?: unknown } | null;
    const name = meta?.name;
    if (typeof name !== 'string' || !REPO_NAME.test(name)) {
      throw new Error(
        `oci-registry pushChart: Chart.yaml needs a lower-case name, got ${String(name)}`,
      );
    }
    if (auth) {
      helmLogin ??= runTool(
        toolPath('helm'),
        [
          'registry',
          'login',
          host,
          '--plain-http',
          '--username',
          auth.username,
          '--password-stdin',
        ],
        { env: toolEnv, input: auth.password },
      );
      await helmLogin;
    }
    const scratch = mkdtempSync(join(work, 'chart-'));
    try {
      const chartDir = join(scratch, name);
      for (const [rel, content] of Object.entries(files)) {
        const target = resolve(chartDir, rel);
        if (!target.startsWith(chartDir + sep))
          throw new Error(`oci-registry pushChart: ${rel} is outside the chart`);
        mkdirSync(dirname(target), { recursive: true });
        writeFileSync(target, content);
      }
      const out = join(scratch, 'out');
      mkdirSync(out);
      await runTool(toolPath('helm'), ['package', chartDir, '--destination', out], {
        env: toolEnv,
      });
      const archives = readdirSync(out).filter((f) => f.endsWith('.tgz'));
      if (archives.length !== 1) throw new Error(`helm package made ${archives.join(', ')}`);
      const version = archives[0]!.slice(name.length + 1, -'.tgz'.length);
      const output = await runTool(
        toolPath('helm'),
        ['push', join(out, archives[0]!), `oci://${host}/${namespace}`, '--plain-http'],
        { env: toolEnv },
      );
      return {
        name,
        version,
        tag: version.replaceAll('+', '_'),
        digest: digestFrom(output, 'helm push'),
      };
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  };

  const pushArtifactBytes: OciRegistry['pushArtifactBytes'] = async (repo, tag, tarGz) => {
    checkRepo('repository', repo);
    if (!TAG.test(tag)) throw new Error(`oci-registry: ${JSON.stringify(tag)} is not an OCI tag`);
    const scratch = mkdtempSync(join(work, 'artifact-'));
    try {
      writeFileSync(join(scratch, 'cfg.json'), '{}');
      writeFileSync(join(scratch, 'art.tar.gz'), tarGz);
      // Relative paths: oras refuses absolute ones and records the name as the layer's title.
      const output = await runTool(
        toolPath('oras'),
        [
          'push',
          '--plain-http',
          '--no-tty',
          ...orasConfig,
          ...orasAuth,
          `${host}/${repo}:${tag}`,
          '--config',
          `cfg.json:${FLUX_CONFIG_TYPE}`,
          `art.tar.gz:${FLUX_CONTENT_TYPE}`,
        ],
        { env: toolEnv, cwd: scratch, input: auth?.password },
      );
      return { digest: digestFrom(output, 'oras push') };
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  };

  const pushArtifact: OciRegistry['pushArtifact'] = async (repo, tag, files) => {
    for (const name of Object.keys(files)) {
      const parts = name.split('/');
      if (name.startsWith('/') || parts.some((p) => p === '' || p === '.' || p === '..')) {
        throw new Error(
          `oci-registry pushArtifact: ${JSON.stringify(name)} is not a plain relative path (use pushArtifactBytes)`,
        );
      }
    }
    const archive = craftArchive(Object.entries(files).map(([name, body]) => ({ name, body })));
    return pushArtifactBytes(repo, tag, archive);
  };

  return {
    host,
    requests,
    pushChart,
    pushArtifact,
    pushArtifactBytes,
    logTail: (lines) => registry.logTail(lines),
    async stop() {
      await stopAll();
      rmSync(base, { recursive: true, force: true });
    },
  };
}
