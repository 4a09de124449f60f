import { readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { createServer, request } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { dirname, join } from 'node:path';
import type { LocalCluster } from './control-plane.ts';
import { writeTokenKubeconfig } from './kubeconfig.ts';

/**
 * A small HTTPS forwarder in front of a local cluster's API server that
 * answers a share of requests with HTTP 500, the one fault Toxiproxy (TCP
 * only) cannot make. It is the approach of the DynamoDB fault proxy
 * (test/integration/fixtures/dynamo-fault-proxy.ts): it stands in only for
 * the fault; every request it does not fail is served by the real API
 * server. It serves the cluster's own certificate (valid for 127.0.0.1), so
 * clients keep verifying against the cluster's CA.
 *
 * Half the injected 500s come before the request reaches the server, half
 * after it was served (the server did the write, the client hears 500), as a
 * crashing apiserver or a failing gateway would do.
 */
export interface HttpFaultPoint {
  /** https://127.0.0.1:PORT */
  server: string;
  /** Requests received and 500s injected so far. */
  readonly counts: { requests: number; faults: number };
  /** Share of requests answered with 500 from now on (0..1). */
  failRate: number;
  stop(): Promise<void>;
}

export async function startHttpFaultPoint(
  cluster: LocalCluster,
  options: { failRate: number; random: () => number },
): Promise<HttpFaultPoint> {
  const certDir = dirname(cluster.caFile);
  const upstream = new URL(cluster.server);
  const ca = readFileSync(cluster.caFile);
  const counts = { requests: 0, faults: 0 };
  const sockets = new Set<Duplex>();

  const fail = (res: ServerResponse): void => {
    counts.faults++;
    res.writeHead(500, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        kind: 'Status',
        apiVersion: 'v1',
        status: 'Failure',
        message: 'injected fault: internal error',
        reason: 'InternalError',
        code: 500,
      }),
    );
  };

  const server = createServer(
    {
      cert: readFileSync(join(certDir, 'serving.crt')),
      key: readFileSync(join(certDir, 'serving.key')),
    },
    (req, res) => {
      counts.requests++;
      const faulted = options.random() < point.failRate;
      const before = faulted && counts.faults % 2 === 0;
      if (before) {
        req.resume();
        fail(res);
        return;
      }
      const forward = request(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers: req.headers,
          ca,
        },
        (answer) => {
          if (faulted) {
            answer.resume();
            fail(res);
            return;
          }
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      forward.on('error', () => res.destroy());
      req.pipe(forward);
    },
  );
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const point: HttpFaultPoint = {
    server: `https://127.0.0.1:${port}`,
    counts,
    failRate: options.failRate,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        for (const socket of sockets) socket.destroy();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
  return point;
}

/** An admin kubeconfig for `cluster` whose server is `server` (a fault point or a proxy). */
export function kubeconfigThrough(path: string, cluster: LocalCluster, server: string): string {
  writeTokenKubeconfig(path, cluster.name, server, cluster.caFile, cluster.adminToken);
  return path;
}
