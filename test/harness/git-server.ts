import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { timingSafeEqual } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { constants, gunzipSync } from 'node:zlib';

export interface BasicAuth {
  username: string;
  password: string;
}

export interface RequestCounts {
  refs: number;
  uploadPack: number;
  fetches: number;
  receivePack: number;
}

export interface GitServer {
  /** Base URL; a repository named `x` is at `${url}/x.git`. */
  url: string;
  root: string;
  /** Creates an empty bare repository (default branch main) and returns its clone URL. */
  createRepo(name: string, options?: { auth?: BasicAuth }): string;
  /** Path of a repository's bare directory, for fixture helpers. */
  repoPath(name: string): string;
  /**
   * Requests served per repository, so tests can assert "no fetch happened".
   * `uploadPack` counts every POST to git-upload-pack; `fetches` only those
   * that ask for objects (protocol v2 `command=fetch`, or v0/v1 `want`
   * lines), since a v2 ref listing is a POST to git-upload-pack too.
   */
  requests(name: string): RequestCounts;
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

/** Looks at the start of an upload-pack request body (gzip or plain) to tell a fetch from a ref listing. */
function countFetch(req: IncomingMessage, count: RequestCounts): void {
  const chunks: Buffer[] = [];
  let length = 0;
  const onData = (chunk: Buffer): void => {
    if (length < 4096) {
      chunks.push(chunk);
      length += chunk.length;
    }
  };
  req.on('data', onData);
  req.once('end', () => {
    req.off('data', onData);
    let head = Buffer.concat(chunks);
    if (req.headers['content-encoding'] === 'gzip') {
      try {
        head = gunzipSync(head, { finishFlush: constants.Z_SYNC_FLUSH });
      } catch {
        return;
      }
    }
    const text = head.toString('latin1');
    if (text.includes('command=fetch') || /^[0-9a-f]{4}want /m.test(text)) count.fetches++;
  });
}

/**
 * Git's smart HTTP protocol served by the real `git http-backend` (as CGI)
 * behind a Node HTTP server, push included, with optional basic auth per
 * repository.
 */
export async function startGitServer(): Promise<GitServer> {
  const root = mkdtempSync(join(tmpdir(), 'driftless-git-'));
  const auth = new Map<string, BasicAuth>();
  const counters = new Map<string, RequestCounts>();

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
    const count = counters.get(repo) ?? { refs: 0, uploadPack: 0, fetches: 0, receivePack: 0 };
    counters.set(repo, count);
    if (url.pathname.endsWith('/info/refs')) count.refs++;
    else if (url.pathname.endsWith('/git-upload-pack')) {
      count.uploadPack++;
      countFetch(req, count);
    } else if (url.pathname.endsWith('/git-receive-pack')) count.receivePack++;

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
    requests: (name) => ({
      ...(counters.get(name) ?? { refs: 0, uploadPack: 0, fetches: 0, receivePack: 0 }),
    }),
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(root, { recursive: true, force: true });
    },
  };
}
