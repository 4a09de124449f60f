import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalCluster } from './control-plane.ts';
import type { GitServer } from './git-server.ts';
import { writeTokenKubeconfig } from './kubeconfig.ts';
import { freePort, waitUntil } from './net.ts';
import { startProcess } from './processes.ts';
import { toolPath } from './tools.ts';

/**
 * Toxiproxy's toxics (its README names the attributes). Times are in
 * milliseconds except the slicer's `delay` (microseconds); `rate` is KB/s.
 * - latency: every chunk waits `latency` ± `jitter`;
 * - timeout: nothing passes; the connection is closed after `timeout` (0: never);
 * - reset_peer: the connection is reset (TCP RST) `timeout` after data arrives;
 * - limit_data: the connection is closed once `bytes` have passed;
 * - bandwidth: at most `rate` KB/s;
 * - slicer: data is cut into `average_size` ± `size_variation` byte pieces, `delay` µs apart.
 */
export type ToxicSpec =
  | { type: 'latency'; attributes: { latency: number; jitter?: number } }
  | { type: 'timeout'; attributes: { timeout: number } }
  | { type: 'reset_peer'; attributes: { timeout: number } }
  | { type: 'limit_data'; attributes: { bytes: number } }
  | { type: 'bandwidth'; attributes: { rate: number } }
  | {
      type: 'slicer';
      attributes: { average_size: number; size_variation?: number; delay?: number };
    };

export type Toxic = ToxicSpec & {
  /** Default: the type and stream, so one of each per stream. */
  name?: string;
  /** `downstream` (server to client, the default) or `upstream` (client to server). */
  stream?: 'upstream' | 'downstream';
  /** Share of connections it applies to, decided per connection (0..1, default 1). */
  toxicity?: number;
};

/** One proxy: a listener on 127.0.0.1 that forwards TCP to its upstream through its toxics. */
export interface ToxicProxy {
  readonly name: string;
  /** host:port it listens on. */
  readonly listen: string;
  readonly upstream: string;
  /** Adds a toxic to live and future connections; resolves to its name. */
  addToxic(toxic: Toxic): Promise<string>;
  removeToxic(name: string): Promise<void>;
  /** Removes every toxic of this proxy. */
  clearToxics(): Promise<void>;
  /** Closes the listener and every connection: new connections are refused until enable(). */
  disable(): Promise<void>;
  /** Listens again, on the same address. */
  enable(): Promise<void>;
}

export interface Toxiproxy {
  /** Base URL of Toxiproxy's REST API. */
  readonly api: string;
  /** A proxy on a free port of 127.0.0.1 in front of `upstream` (host:port). */
  createProxy(name: string, upstream: string): Promise<ToxicProxy>;
  /** Enables every proxy and removes every toxic. */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

async function call(api: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${api}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`toxiproxy ${method} ${path}: HTTP ${res.status}: ${text.trim()}`);
  return text ? (JSON.parse(text) as unknown) : undefined;
}

/**
 * Starts `toxiproxy-server` (built by build-tools.sh) on a free port of
 * 127.0.0.1; proxies and toxics are made through its own REST API. Cheap
 * (about 50 ms), so each fault test file starts its own.
 */
export async function startToxiproxy(): Promise<Toxiproxy> {
  const dir = mkdtempSync(join(tmpdir(), 'driftless-toxiproxy-'));
  const port = await freePort();
  const api = `http://127.0.0.1:${port}`;
  const server = startProcess(
    'toxiproxy-server',
    toolPath('toxiproxy-server'),
    ['-host', '127.0.0.1', '-port', String(port)],
    { logFile: join(dir, 'toxiproxy.log'), env: { LOG_LEVEL: 'warn' } },
  );
  await waitUntil('toxiproxy-server /version', async () => (await fetch(`${api}/version`)).ok, {
    timeoutMs: 10_000,
    intervalMs: 50,
    abort: () =>
      server.exited ? `toxiproxy-server exited; last log lines:\n${server.logTail()}` : undefined,
  });

  const proxyOf = (name: string, listen: string, upstream: string): ToxicProxy => {
    const path = `/proxies/${encodeURIComponent(name)}`;
    const removeToxic = async (toxicName: string): Promise<void> => {
      await call(api, 'DELETE', `${path}/toxics/${encodeURIComponent(toxicName)}`);
    };
    return {
      name,
      listen,
      upstream,
      async addToxic(toxic) {
        const { name: given, stream = 'downstream', toxicity = 1, ...spec } = toxic;
        const toxicName = given ?? `${spec.type}_${stream}`;
        await call(api, 'POST', `${path}/toxics`, {
          name: toxicName,
          stream,
          toxicity,
          ...spec,
        });
        return toxicName;
      },
      removeToxic,
      async clearToxics() {
        const toxics = (await call(api, 'GET', `${path}/toxics`)) as { name: string }[];
        for (const t of toxics) await removeToxic(t.name);
      },
      async disable() {
        await call(api, 'POST', path, { enabled: false });
      },
      async enable() {
        await call(api, 'POST', path, { enabled: true });
      },
    };
  };

  return {
    api,
    async createProxy(name, upstream) {
      const created = (await call(api, 'POST', '/proxies', {
        name,
        listen: '127.0.0.1:0',
        upstream,
        enabled: true,
      })) as { listen: string };
      return proxyOf(name, created.listen, upstream);
    },
    async reset() {
      await call(api, 'POST', '/reset');
    },
    async stop() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A local cluster's API server reached through a proxy. */
export interface ProxiedCluster {
  proxy: ToxicProxy;
  /** https://127.0.0.1:PORT of the proxy: the serving certificate is valid for 127.0.0.1, TLS passes through. */
  server: string;
  /** An admin kubeconfig whose context (named as the cluster) points at the proxy. */
  kubeconfig: string;
  /** Removes the kubeconfig's folder. */
  dispose(): void;
}

/** A proxy in front of `cluster`'s API server, with an admin kubeconfig through it. */
export async function proxyCluster(
  toxiproxy: Toxiproxy,
  cluster: LocalCluster,
  name = `${cluster.name}-api`,
): Promise<ProxiedCluster> {
  const upstream = new URL(cluster.server);
  const proxy = await toxiproxy.createProxy(name, `${upstream.hostname}:${upstream.port}`);
  const server = `https://${proxy.listen}`;
  const dir = mkdtempSync(join(tmpdir(), 'driftless-proxied-kube-'));
  const kubeconfig = join(dir, 'kubeconfig');
  writeTokenKubeconfig(kubeconfig, cluster.name, server, cluster.caFile, cluster.adminToken);
  return {
    proxy,
    server,
    kubeconfig,
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A proxy in front of a git server; a repository `x` is at `${url}/x.git`. */
export async function proxyGitServer(
  toxiproxy: Toxiproxy,
  git: GitServer,
  name = 'git',
): Promise<{ proxy: ToxicProxy; url: string }> {
  const upstream = new URL(git.url);
  const proxy = await toxiproxy.createProxy(name, `${upstream.hostname}:${upstream.port}`);
  return { proxy, url: `http://${proxy.listen}` };
}
