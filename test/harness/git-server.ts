import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { timingSafeEqual } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface BasicAuth {
  username: string;
  password: string;
}

export interface GitServer {
  /** Base URL; a repository named `x` is at `${url}/x.git`. */
  url: string;
  root: string;
  /** Creates an empty bare repository (default branch main) and returns its clone URL. */
  createRepo(name: string, options?: { auth?: BasicAuth }): string;
  /** Path of a repository's bare directory, for fixture helpers. */
  repoPath(name: string): string;
  /** Number of requests served per repository and service, so tests can assert "no fetch happened". */
  requests(name: string): { refs: number; uploadPack: number; receivePack: number };
  stop(): Promise<void>;
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function parseBasicAuth(header: string | undefined): BasicAuth | undefined {
  if (!header?.startsWith('Basic ')) return undefined;
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * Git's smart HTTP protocol served by the real `git http-backend` (as CGI)
 * behind a Node HTTP server, push included, with optional basic auth per
 * repository.
 */
export async function startGitServer(): Promise<GitServer> {
  const root = mkdtempSync(join(tmpdir(), 'driftless-git-'));
  const auth = new Map<string, BasicAuth>();
  const counters = new Map<string, { refs: number; uploadPack: number; receivePack: number }>();

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const repo = /^\/([^/]+)\.git\//.exec(url.pathname)?.[1];
    if (!repo) {
      res.writeHead(404).end('not a repository path\n');
      return;
    }
    const required = auth.get(repo);
    const given = parseBasicAuth(req.headers.authorization);
    if (
      required &&
      !(
        given &&
        sameSecret(given.username, required.username) &&
        sameSecret(given.password, required.password)
      )
    ) {
      res
        .writeHead(401, { 'www-authenticate': 'Basic realm="driftless-test"' })
        .end('authentication required\n');
      return;
    }
    const count = counters.get(repo) ?? { refs: 0, uploadPack: 0, receivePack: 0 };
    counters.set(repo, count);
    if (url.pathname.endsWith('/info/refs')) count.refs++;
    else if (url.pathname.endsWith('/git-upload-pack')) count.uploadPack++;
    else if (url.pathname.endsWith('/git-receive-pack')) count.receivePack++;

    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      GIT_PROJECT_ROOT: root,
      GIT_HTTP_EXPORT_ALL: '1',
      PATH_INFO: url.pathname,
      QUERY_STRING: url.search.slice(1),
      REQUEST_METHOD: req.method ?? 'GET',
      // http-backend allows receive-pack only for an authenticated user.
      REMOTE_USER: given?.username ?? 'anonymous',
      REMOTE_ADDR: req.socket.remoteAddress ?? '127.0.0.1',
      SERVER_PROTOCOL: 'HTTP/1.1',
    };
    if (req.headers['content-type']) env.CONTENT_TYPE = req.headers['content-type'];
    if (req.headers['content-length']) env.CONTENT_LENGTH = req.headers['content-length'];
    if (req.headers['content-encoding'])
      env.HTTP_CONTENT_ENCODING = req.headers['content-encoding'];
    const protocol = req.headers['git-protocol'];
    if (typeof protocol === 'string') env.GIT_PROTOCOL = protocol;

    const cgi = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    req.pipe(cgi.stdin);
    let stderr = '';
    cgi.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let head = Buffer.alloc(0);
    let headersSent = false;
    cgi.stdout.on('data', (chunk: Buffer) => {
      if (headersSent) {
        res.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      const endLf = head.indexOf('\n\n');
      const [cut, sepLen] = end >= 0 && (endLf < 0 || end < endLf) ? [end, 4] : [endLf, 2];
      if (cut < 0) return;
      let status = 200;
      const headers: Record<string, string> = {};
      for (const line of head.subarray(0, cut).toString('latin1').split(/\r?\n/)) {
        const colon = line.indexOf(':');
        if (colon < 0) continue;
        const key = line.slice(0, colon).trim().toLowerCase();
        const value = line.slice(colon + 1).trim();
        if (key === 'status') status = Number.parseInt(value, 10);
        else headers[key] = value;
      }
      res.writeHead(status, headers);
      headersSent = true;
      res.write(head.subarray(cut + sepLen));
    });
    cgi.on('close', (code) => {
      if (!headersSent) {
        res.writeHead(500).end(`git http-backend failed (${code}): ${stderr}`);
        return;
      }
      res.end();
    });
  };

  const server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  const repoPath = (name: string): string => join(root, `${name}.git`);

  return {
    url,
    root,
    repoPath,
    createRepo(name, options = {}) {
      execFileSync('git', ['init', '--quiet', '--bare', '--initial-branch=main', repoPath(name)]);
      if (options.auth) auth.set(name, options.auth);
      return `${url}/${name}.git`;
    },
    requests: (name) => ({ ...(counters.get(name) ?? { refs: 0, uploadPack: 0, receivePack: 0 }) }),
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(root, { recursive: true, force: true });
    },
  };
}
