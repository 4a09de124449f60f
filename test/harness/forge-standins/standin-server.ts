import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request as a stand-in sees it: the path split into decoded segments, the body as text. */
export interface StandinRequest {
  method: string;
  /** The raw path, without the query. */
  path: string;
  segments: string[];
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** What reached a stand-in, for tests that assert who was (not) called and with what. */
export interface RecordedRequest {
  method: string;
  path: string;
  query: string;
  authorization: string | undefined;
}

export interface StandinServer {
  /** `http://127.0.0.1:PORT`. */
  url: string;
  requests: RecordedRequest[];
  /** Every request the stand-in found invalid or could not serve; a test ends with none. */
  violations(): string[];
  violation(message: string): void;
  stop(): Promise<void>;
}

function segmentsOf(path: string): string[] | undefined {
  try {
    return path.split('/').slice(1).map(decodeURIComponent);
  } catch {
    return undefined;
  }
}

/**
 * A local HTTP server for one forge's stand-in: it records every request,
 * hands it to `handle` and answers JSON. A handler that throws is itself a
 * violation (and a 500), so a stand-in bug cannot pass for a client bug's
 * absence.
 */
export async function startStandinServer(
  handle: (request: StandinRequest, server: StandinServer) => Reply | Promise<Reply>,
): Promise<StandinServer> {
  const found: string[] = [];
  const requests: RecordedRequest[] = [];
  const standin: StandinServer = {
    url: '',
    requests,
    violations: () => [...found],
    violation: (message) => found.push(message),
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://standin.invalid');
      const method = req.method ?? 'GET';
      requests.push({
        method,
        path: url.pathname,
        query: url.search,
        authorization: req.headers.authorization,
      });
      const segments = segmentsOf(url.pathname);
      const body = Buffer.concat(chunks).toString('utf8');
      const answer = async (): Promise<Reply> => {
        if (!segments) {
          standin.violation(`${method} ${url.pathname}: the path is not valid percent-encoding`);
          return { status: 400, body: { message: 'bad path' } };
        }
        const request = {
          method,
          path: url.pathname,
          segments,
          query: url.searchParams,
          headers: req.headers,
          body,
        };
        return handle(request, standin);
      };
      answer()
        .catch((error: unknown): Reply => {
          standin.violation(`${method} ${url.pathname}: the stand-in failed: ${String(error)}`);
          return { status: 500, body: { message: 'stand-in failure' } };
        })
        .then((reply) => {
          const headers = { 'content-type': 'application/json; charset=utf-8', ...reply.headers };
          res
            .writeHead(reply.status, headers)
            .end(reply.body === undefined ? undefined : JSON.stringify(reply.body));
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  standin.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return standin;
}
