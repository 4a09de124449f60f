import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { Agent, createServer, request, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openState } from '../../cli/state-store.ts';
import { Application } from '../../shared/config/application.ts';
import { reconcile } from '../../shared/engine/reconcile.ts';
import { ENGINE_DEFAULTS, engineSettings } from '../../shared/engine/settings.ts';
import { deadlineBound, KubeClient } from '../../shared/kube/client.ts';
import { KubeApiError } from '../../shared/kube/errors.ts';
import { applyObject, deleteObject } from '../../shared/kube/operations.ts';
import { acquireLease, DEFAULT_LEASE_TTL_MS } from '../../shared/state/lease.ts';
import { keepLeaseAlive } from '../../shared/state/lease-keeper.ts';
import type { Inventory } from '../../shared/sync/inventory.ts';
import type { LocalCluster } from '../harness/control-plane.ts';
import { cluster, uniqueName } from '../harness/context.ts';
import { commitTree } from '../harness/git-fixtures.ts';
import { startGitServer, type GitServer } from '../harness/git-server.ts';
import { ensureCliBuilt } from '../helpers/cli.ts';
import { cliProject } from '../helpers/cli-project.ts';
import { configMapYaml } from '../helpers/manifests.ts';
import { localStateTable } from './fixtures/state-table.ts';

const clusterA = (): LocalCluster => cluster('cluster-a');

/** What the proxy does with one request. */
type Verdict = 'forward' | 'hang' | 'fail' | 'lose';

interface Arrival {
  method: string;
  path: string;
  at: number;
}

/**
 * A small HTTPS proxy in front of cluster-a's API server (the approach of
 * test/harness/http-fault-point.ts: it serves the cluster's own certificate,
 * so clients verify against the cluster's CA, and it stands in only for the
 * fault). `decide` says per request: forward it, hold it unanswered (a hung
 * server), answer 500 instead of forwarding, or forward it and then drop the
 * connection instead of answering (a lost answer). `refuseFor` stops
 * listening and listens again on the same port. Every request is counted
 * with its arrival time.
 */
interface KubeProxy {
  server: string;
  readonly arrivals: Arrival[];
  readonly faults: number;
  decide: (req: IncomingMessage) => Verdict;
  refuseFor(ms: number): Promise<void>;
  stop(): Promise<void>;
}

function answer500(res: ServerResponse): void {
  res
    .writeHead(500, { 'content-type': 'application/json' })
    .end(JSON.stringify({ kind: 'Status', status: 'Failure', message: 'injected', code: 500 }));
}

/** Forwards one request upstream; `lose`: reads the answer, then drops the client's connection. */
function forward(
  upstream: URL,
  agent: Agent,
  req: IncomingMessage,
  res: ServerResponse,
  lose: boolean,
): void {
  const headers = { ...req.headers, host: upstream.host };
  const options = { host: upstream.hostname, port: upstream.port, headers, agent };
  const out = request({ ...options, method: req.method, path: req.url }, (answer) => {
    if (lose) {
      answer.resume();
      answer.on('end', () => req.socket.destroy());
      return;
    }
    res.writeHead(answer.statusCode ?? 502, answer.headers);
    answer.pipe(res);
  });
  out.on('error', () => res.destroy());
  req.pipe(out);
}

async function startKubeProxy(c: LocalCluster): Promise<KubeProxy> {
  const upstream = new URL(c.server);
  const agent = new Agent({ keepAlive: true, ca: readFileSync(c.caFile) });
  const sockets = new Set<Socket>();
  const arrivals: Arrival[] = [];
  let faults = 0;
  const tls = {
    cert: readFileSync(join(dirname(c.caFile), 'serving.crt')),
    key: readFileSync(join(dirname(c.caFile), 'serving.key')),
  };
  const server: Server = createServer(tls, (req, res) => {
    arrivals.push({ method: req.method ?? '', path: req.url ?? '', at: Date.now() });
    const verdict = proxy.decide(req);
    if (verdict === 'hang') return void req.resume();
    if (verdict === 'fail') {
      faults++;
      req.resume();
      return answer500(res);
    }
    forward(upstream, agent, req, res, verdict === 'lose');
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const listen = (port: number) =>
    new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const close = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
  await listen(0);
  const { port } = server.address() as AddressInfo;
  const proxy: KubeProxy = {
    server: `https://127.0.0.1:${port}`,
    arrivals,
    get faults() {
      return faults;
    },
    decide: () => 'forward',
    refuseFor: async (ms) => {
      await close();
      await sleep(ms);
      await listen(port);
    },
    stop: async () => {
      await close();
      agent.destroy();
    },
  };
  return proxy;
}

/** A server-side apply that writes (not a dry-run). */
const isApply = (req: IncomingMessage): boolean =>
  req.method === 'PATCH' && !(req.url ?? '').includes('dryRun=All');

/** A PRNG with a fixed seed (mulberry32), so a run's faults can be replayed. */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function configMaps(count: number, value: string): string {
  return Array.from({ length: count }, (_, i) =>
    configMapYaml(`cm-${String(i).padStart(4, '0')}`, value),
  ).join('---\n');
}

function faultApp(name: string, repoURL: string): Application {
  return Application.parse({
    apiVersion: 'driftless.dev/v1alpha1',
    kind: 'Application',
    metadata: { name },
    spec: {
      source: { repoURL, targetRevision: 'main', path: 'app' },
      destination: { cluster: 'cluster-a', namespace: name },
      syncPolicy: {
        automated: { prune: true, selfHeal: false },
        syncOptions: ['CreateNamespace=true'],
      },
      healthTimeout: '60s',
    },
  });
}

describe('one deadline and retries under faults (real API server behind a fault proxy)', () => {
  let git: GitServer;
  let cacheDir: string;
  let proxy: KubeProxy;
  beforeAll(async () => {
    git = await startGitServer();
    cacheDir = mkdtempSync(join(tmpdir(), 'driftless-deadline-retry-'));
  });
  afterAll(async () => {
    await git.stop();
    rmSync(cacheDir, { recursive: true, force: true });
  });

  /** A repository holding `files` under app/, and a reconcile of it through a new proxy. */
  async function setup(prefix: string, files: Record<string, string>) {
    const name = uniqueName(prefix);
    const url = git.createRepo(name);
    commitTree(git.repoPath(name), 'main', files);
    proxy = await startKubeProxy(clusterA());
    const c = clusterA();
    const run = (request: { timeoutMs?: number } = {}, previous?: Inventory) =>
      reconcile(faultApp(name, url), {
        cluster: {
          name: c.name,
          connection: { server: proxy.server, ca: readFileSync(c.caFile), token: c.adminToken },
        },
        settings: engineSettings({ source: { cacheDir } }),
        request,
        previous,
      });
    const commit = (next: Record<string, string>) => commitTree(git.repoPath(name), 'main', next);
    return { name, run, commit };
  }

  async function liveConfigMaps(namespace: string): Promise<string[]> {
    const c = clusterA();
    const client = new KubeClient({
      server: c.server,
      ca: readFileSync(c.caFile),
      token: c.adminToken,
    });
    try {
      const list = await client.request<{ items: { metadata: { name: string } }[] }>({
        method: 'GET',
        path: `/api/v1/namespaces/${namespace}/configmaps`,
      });
      return list.items.map((i) => i.metadata.name).filter((n) => n.startsWith('cm-'));
    } finally {
      client.close();
    }
  }

  it('a server that stops answering mid-apply: the sync ends at its 10 s deadline, sends nothing after it, and names it', async () => {
    const { run } = await setup('hung', { 'app/cms.yaml': configMaps(320, 'one') });
    let applies = 0;
    // Everything after the 40th apply hangs: arrivals from index `hungFrom` on.
    let hungFrom = Infinity;
    proxy.decide = (req) => {
      if (proxy.arrivals.length > hungFrom) return 'hang';
      if (isApply(req) && ++applies === 40) hungFrom = proxy.arrivals.length;
      return 'forward';
    };
    try {
      const started = Date.now();
      const result = await run({ timeoutMs: 10_000 });
      const tookMs = Date.now() - started;
      const seen = proxy.arrivals.length;
      await sleep(1_000);
      console.log(`[deadline-retry] hung server: ended after ${tookMs} ms, ${seen} requests`);
      expect(result.status).toBe('Failed');
      expect(result.error).toMatch(/the run's deadline passed \(timeout 10 s\)/);
      expect(tookMs).toBeLessThan(12_000);
      const notApplied = result.objects.filter((o) => o.message?.startsWith('not applied:'));
      const stopped = result.objects.filter((o) =>
        /PATCH \S+ stopped: the run's deadline/.test(o.message ?? ''),
      );
      expect(notApplied.length).toBeGreaterThan(200);
      expect(notApplied[0]!.message).toMatch(/deadline/);
      // Only what was in flight when the server hung reached it (the engine's concurrency), none after the deadline.
      const afterHang = proxy.arrivals.slice(hungFrom);
      expect(afterHang.length).toBeLessThanOrEqual(ENGINE_DEFAULTS.concurrency);
      expect(stopped.length).toBe(afterHang.filter((a) => a.method === 'PATCH').length);
      expect(Math.max(...proxy.arrivals.map((a) => a.at))).toBeLessThanOrEqual(started + 10_100);
      expect(proxy.arrivals.length).toBe(seen);
    } finally {
      await proxy.stop();
    }
  }, 60_000);

  it('5% of answers are HTTP 500 (reads and applies alike): the sync still succeeds', async () => {
    const { name, run } = await setup('http500', { 'app/cms.yaml': configMaps(300, 'one') });
    const random = seeded(1234);
    proxy.decide = () => (random() < 0.05 ? 'fail' : 'forward');
    try {
      const result = await run({ timeoutMs: 120_000 });
      console.log(
        `[deadline-retry] 500s: ${proxy.faults} of ${proxy.arrivals.length} answers, ${result.timings.totalMs} ms`,
      );
      expect(result.error).toBeUndefined();
      expect(result.status).toBe('Synced');
      expect(proxy.faults).toBeGreaterThan(10);
      expect(await liveConfigMaps(name)).toHaveLength(300);
    } finally {
      await proxy.stop();
    }
  }, 150_000);

  it('connection refused for 3 s mid-apply: the sync succeeds within its deadline', async () => {
    const { name, run } = await setup('refused', { 'app/cms.yaml': configMaps(300, 'one') });
    let applies = 0;
    let outage: Promise<void> | undefined;
    let outageEnded = Infinity;
    proxy.decide = (req) => {
      if (isApply(req) && ++applies === 40)
        outage = proxy.refuseFor(3_000).then(() => void (outageEnded = Date.now()));
      return 'forward';
    };
    try {
      const result = await run({ timeoutMs: 60_000 });
      await outage;
      console.log(`[deadline-retry] 3 s refused: ${result.timings.totalMs} ms`);
      expect(result.error).toBeUndefined();
      expect(result.status).toBe('Synced');
      expect(result.timings.totalMs).toBeLessThan(60_000);
      expect(
        proxy.arrivals.filter((a) => a.at > outageEnded && a.method === 'PATCH').length,
      ).toBeGreaterThan(0);
      expect(await liveConfigMaps(name)).toHaveLength(300);
    } finally {
      await proxy.stop();
    }
  }, 90_000);

  it('a DELETE whose answer is lost is retried and counted as done: prune succeeds', async () => {
    const { name, run, commit } = await setup('lost-delete', {
      'app/keep.yaml': configMapYaml('cm-keep', 'one'),
      'app/gone.yaml': configMapYaml('cm-gone', 'one'),
    });
    try {
      const first = await run();
      expect(first.status).toBe('Synced');
      commit({ 'app/keep.yaml': configMapYaml('cm-keep', 'one') });
      let lost = 0;
      proxy.decide = (req) =>
        req.method === 'DELETE' && req.url?.includes('cm-gone') && lost++ === 0
          ? 'lose'
          : 'forward';
      const second = await run({}, first.inventory);
      expect(second.error).toBeUndefined();
      expect(second.status).toBe('Synced');
      expect(second.objects.find((o) => o.ref.name === 'cm-gone')).toMatchObject({
        action: 'Pruned',
      });
      const deletes = proxy.arrivals.filter((a) => a.method === 'DELETE');
      expect(deletes).toHaveLength(2);
      expect(await liveConfigMaps(name)).toEqual(['cm-keep']);
    } finally {
      await proxy.stop();
    }
  }, 60_000);

  it('deleteObject: a DELETE retried after its answer was lost gets 404, which is its own success', async () => {
    const c = clusterA();
    proxy = await startKubeProxy(c);
    const client = new KubeClient({
      server: proxy.server,
      ca: readFileSync(c.caFile),
      token: c.adminToken,
    });
    const namespace = uniqueName('lost-delete-direct');
    const info = {
      group: '',
      version: 'v1',
      kind: 'ConfigMap',
      resource: 'configmaps',
      namespaced: true,
    };
    const nsInfo = {
      group: '',
      version: 'v1',
      kind: 'Namespace',
      resource: 'namespaces',
      namespaced: false,
    };
    try {
      await applyObject(
        client,
        nsInfo,
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } },
        { fieldManager: 'test' },
      );
      const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm-x', namespace } };
      await applyObject(client, info, cm, { fieldManager: 'test' });
      let deletes = 0;
      proxy.decide = (req) => (req.method === 'DELETE' && deletes++ === 0 ? 'lose' : 'forward');
      expect(await deleteObject(client, info, namespace, 'cm-x')).toBe(true);
      expect(deletes).toBe(2);
      // Not retried, a 404 still means it was not there.
      expect(await deleteObject(client, info, namespace, 'cm-x')).toBe(false);
    } finally {
      client.close();
      await proxy.stop();
    }
  }, 60_000);
});

describe('the client retry policy (a local HTTP server)', () => {
  /** A plain HTTP server answering each request with what `answer` says; counts them. */
  async function answering(
    answer: (n: number) => { status: number; headers?: Record<string, string>; body?: object },
  ) {
    let count = 0;
    const server = createHttpServer((req, res) => {
      req.resume();
      const a = answer(++count);
      res.writeHead(a.status, { 'content-type': 'application/json', ...a.headers });
      res.end(JSON.stringify(a.body ?? {}));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return {
      client: new KubeClient({ server: url }),
      get count() {
        return count;
      },
      stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
  }

  it("honours a 429's Retry-After, and fails at once on a 500 that says the object is invalid", async () => {
    const throttled = await answering((n) =>
      n === 1 ? { status: 429, headers: { 'retry-after': '1' } } : { status: 200 },
    );
    try {
      const started = Date.now();
      await throttled.client.request({ method: 'GET', path: '/version' });
      expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
      expect(throttled.count).toBe(2);
    } finally {
      throttled.client.close();
      await throttled.stop();
    }
    const invalid = await answering(() => ({
      status: 500,
      body: {
        kind: 'Status',
        message: 'failed to create typed patch object (x): .spec.foo: field not declared in schema',
        code: 500,
      },
    }));
    try {
      await expect(
        invalid.client.request({ method: 'PATCH', path: '/api/v1/x', body: {} }),
      ).rejects.toBeInstanceOf(KubeApiError);
      expect(invalid.count).toBe(1);
    } finally {
      invalid.client.close();
      await invalid.stop();
    }
  });

  it('never waits past the deadline to retry, and sends nothing once it passed', async () => {
    const failing = await answering(() => ({ status: 503 }));
    const bound = deadlineBound(Date.now() + 1_500, new Error('test deadline'));
    failing.client.bind(bound);
    try {
      const started = Date.now();
      await expect(
        failing.client.request({ method: 'GET', path: '/version' }),
      ).rejects.toMatchObject({ statusCode: 503 });
      expect(Date.now() - started).toBeLessThan(1_500);
      await sleep(Math.max(0, bound.deadline! - Date.now()) + 10);
      const before = failing.count;
      await expect(failing.client.request({ method: 'GET', path: '/version' })).rejects.toThrow(
        'GET /version stopped: test deadline',
      );
      expect(failing.count).toBe(before);
    } finally {
      bound.clear();
      failing.client.close();
      await failing.stop();
    }
  });
});

describe('lease timing', () => {
  it('a keeper past its run deadline renews no more: the lease runs out within one TTL and is taken over', async () => {
    const { endpoint, tableName } = inject('dynamo');
    const table = localStateTable(endpoint, tableName);
    const app = uniqueName('lease-hold');
    try {
      const first = await acquireLease(table, app, { owner: 'stuck-run', ttlMs: 600 });
      if (first.status !== 'acquired') throw new Error('expected to acquire');
      const keeper = keepLeaseAlive(table, first.lease, { ttlMs: 600, intervalMs: 150 });
      const deadline = Date.now() + 400;
      keeper.holdUntil(deadline);
      await new Promise((resolve) => keeper.signal.addEventListener('abort', resolve));
      const lostAfterMs = Date.now() - deadline;
      expect(lostAfterMs).toBeLessThan(600 + 200);
      // The loss is reported at the expiry by a timer, which may fire a
      // millisecond before the clock the lease's condition compares with.
      let taken = await acquireLease(table, app, { owner: 'next-run', ttlMs: 600 });
      for (let i = 0; i < 20 && taken.status !== 'acquired'; i++) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        taken = await acquireLease(table, app, { owner: 'next-run', ttlMs: 600 });
      }
      expect(taken.status).toBe('acquired');
      expect(Date.now() - deadline).toBeLessThan(600 + 400);
      await keeper.stop();
    } finally {
      table.client.destroy();
    }
  });

  describe('the CLI and a lease left by a dead holder', () => {
    let git: GitServer;
    let work: string;
    beforeAll(async () => {
      await ensureCliBuilt();
      git = await startGitServer();
      work = mkdtempSync(join(tmpdir(), 'driftless-deadline-lease-'));
    });
    afterAll(async () => {
      await git.stop();
      rmSync(work, { recursive: true, force: true });
    });

    it('waits it out and syncs instead of exiting busy', async () => {
      const name = uniqueName('cli-dead-lease');
      const p = cliProject(git, work, name);
      p.commit({ 'app/cm.yaml': configMapYaml('settings', 'one') });
      // A holder that took the lease (a full TTL) and died without renewing or releasing it.
      const state = await openState({ state: join(p.dir, '.driftless/state') }, { create: true });
      const taken = await acquireLease(state!.table, name, {
        owner: 'cli:dead/holder',
        ttlMs: DEFAULT_LEASE_TTL_MS,
      });
      await state!.close();
      if (taken.status !== 'acquired') throw new Error('expected to acquire');
      const result = await p.run('sync', '-f', 'app.yaml', ...p.kc);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toMatch(/waiting for .*being reconciled by cli:dead\/holder/);
      expect(Date.now()).toBeGreaterThanOrEqual(taken.lease.expiresAt);
    }, 120_000);
  });
});
