import { randomBytes } from 'node:crypto';
import { request } from 'node:https';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  bootstrapCluster,
  clusterSettled,
  RESTRICTED_NAMESPACE,
  RESTRICTED_USER,
} from './cluster-bootstrap.ts';
import { writeTokenKubeconfig } from './kubeconfig.ts';
import { freePort, waitUntil } from './net.ts';
import { createClusterPki } from './pki.ts';
import { startProcess, type ManagedProcess } from './processes.ts';
import { kwokStagesPath, kwokTestStagesPath, toolPath } from './tools.ts';

/** How tests reach one local cluster; plain data so it can cross from globalSetup to test workers. */
export interface LocalCluster {
  name: string;
  server: string;
  caFile: string;
  adminToken: string;
  /** Kubeconfig of a `system:masters` user. */
  kubeconfig: string;
  restrictedToken: string;
  /** Kubeconfig of a user who is admin only in `restrictedNamespace`. */
  restrictedKubeconfig: string;
  restrictedNamespace: string;
}

export interface ControlPlane {
  dir: string;
  etcdEndpoint: string;
  clusters: LocalCluster[];
  /** The pid of one cluster's kube-apiserver, for fault tests that signal it (SIGSTOP, SIGCONT). */
  apiServerPid(cluster: string): number;
  stop(): Promise<void>;
}

export interface ControlPlaneOptions {
  clusterNames?: string[];
  /** Fake nodes per cluster, simulated by KWOK. Default 3. */
  nodes?: number;
  /** Parent folder for state and logs; a temp folder by default, removed on stop. */
  dir?: string;
  /** Keep the folder (logs) after stop. */
  keepDir?: boolean;
  log?: (message: string) => void;
}

function httpsStatus(url: string, caFile: string, token: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { ca: readFileSync(caFile), headers: { authorization: `Bearer ${token}` }, timeout: 2_000 },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end();
  });
}

function died(p: ManagedProcess): () => string | undefined {
  return () => (p.exited ? `${p.name} exited; last log lines:\n${p.logTail()}` : undefined);
}

async function startEtcd(dir: string, processes: ManagedProcess[]): Promise<string> {
  const [clientPort, peerPort] = [await freePort(), await freePort()];
  const endpoint = `http://127.0.0.1:${clientPort}`;
  const etcd = startProcess(
    'etcd',
    toolPath('etcd'),
    [
      `--data-dir=${join(dir, 'etcd-data')}`,
      `--listen-client-urls=${endpoint}`,
      `--advertise-client-urls=${endpoint}`,
      `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-cluster=default=http://127.0.0.1:${peerPort}`,
      '--unsafe-no-fsync=true',
      '--log-level=warn',
    ],
    { logFile: join(dir, 'logs', 'etcd.log') },
  );
  processes.push(etcd);
  await waitUntil(
    'etcd /health',
    async () => {
      const res = await fetch(`${endpoint}/health`);
      return res.ok && ((await res.json()) as { health?: string }).health === 'true';
    },
    { timeoutMs: 20_000, abort: died(etcd) },
  );
  return endpoint;
}

async function startCluster(
  name: string,
  root: string,
  etcdEndpoint: string,
  nodes: number,
  processes: ManagedProcess[],
): Promise<LocalCluster> {
  const dir = join(root, name);
  const certDir = join(dir, 'certs');
  mkdirSync(certDir, { recursive: true });
  const pki = createClusterPki(certDir);
  const adminToken = randomBytes(24).toString('hex');
  const restrictedToken = randomBytes(24).toString('hex');
  const tokenFile = join(dir, 'tokens.csv');
  writeFileSync(
    tokenFile,
    `${adminToken},admin,admin-uid,"system:masters"\n${restrictedToken},${RESTRICTED_USER},restricted-uid,"system:authenticated"\n`,
    { mode: 0o600 },
  );
  const port = await freePort();
  const server = `https://127.0.0.1:${port}`;
  const logs = join(root, 'logs');
  const apiserver = startProcess(
    `${name}/kube-apiserver`,
    toolPath('kube-apiserver'),
    [
      `--etcd-servers=${etcdEndpoint}`,
      `--etcd-prefix=/${name}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${port}`,
      `--cert-dir=${certDir}`,
      `--tls-cert-file=${pki.servingCert}`,
      `--tls-private-key-file=${pki.servingKey}`,
      `--token-auth-file=${tokenFile}`,
      '--authorization-mode=RBAC',
      '--service-account-issuer=https://kubernetes.default.svc',
      `--service-account-key-file=${pki.serviceAccountPub}`,
      `--service-account-signing-key-file=${pki.serviceAccountKey}`,
      '--service-cluster-ip-range=10.96.0.0/16',
      // The endpoint reconciler refuses loopback addresses for the `kubernetes` Service.
      '--endpoint-reconciler-type=none',
      '--allow-privileged=true',
      '--profiling=false',
    ],
    { logFile: join(logs, `${name}-kube-apiserver.log`) },
  );
  processes.push(apiserver);
  await waitUntil(
    `${name} kube-apiserver /readyz`,
    async () => (await httpsStatus(`${server}/readyz`, pki.caCert, adminToken)) === 200,
    {
      timeoutMs: 60_000,
      intervalMs: 200,
      abort: died(apiserver),
    },
  );

  const kubeconfig = join(dir, 'admin.kubeconfig');
  const restrictedKubeconfig = join(dir, 'restricted.kubeconfig');
  writeTokenKubeconfig(kubeconfig, name, server, pki.caCert, adminToken);
  writeTokenKubeconfig(
    restrictedKubeconfig,
    name,
    server,
    pki.caCert,
    restrictedToken,
    RESTRICTED_NAMESPACE,
  );

  const controllerManager = startProcess(
    `${name}/kube-controller-manager`,
    toolPath('kube-controller-manager'),
    [
      `--kubeconfig=${kubeconfig}`,
      '--leader-elect=false',
      // Nothing needs their HTTPS endpoints, and not listening cannot race for a port.
      '--secure-port=0',
      `--service-account-private-key-file=${pki.serviceAccountKey}`,
      `--root-ca-file=${pki.caCert}`,
      '--use-service-account-credentials=false',
      '--profiling=false',
      // Its default 20 requests a second would take minutes to bring the bench's
      // 2,000 Deployments (all phases, all round trips) to Available.
      '--kube-api-qps=200',
      '--kube-api-burst=400',
      '--concurrent-deployment-syncs=10',
    ],
    { logFile: join(logs, `${name}-kube-controller-manager.log`) },
  );
  const scheduler = startProcess(
    `${name}/kube-scheduler`,
    toolPath('kube-scheduler'),
    [`--kubeconfig=${kubeconfig}`, '--leader-elect=false', '--secure-port=0', '--profiling=false'],
    { logFile: join(logs, `${name}-kube-scheduler.log`) },
  );
  const kwok = startProcess(
    `${name}/kwok`,
    toolPath('kwok'),
    [
      `--kubeconfig=${kubeconfig}`,
      `--config=${kwokStagesPath()}`,
      `--config=${kwokTestStagesPath()}`,
      '--manage-all-nodes=false',
      '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake',
      '--manage-nodes-with-label-selector=',
      '--manage-single-node=',
      '--cidr=10.244.0.0/16',
      '--node-ip=10.0.0.1',
      '--node-lease-duration-seconds=40',
    ],
    { logFile: join(logs, `${name}-kwok.log`), env: { HOME: dir } },
  );
  processes.push(controllerManager, scheduler, kwok);

  await bootstrapCluster(kubeconfig, nodes);
  const helpers = [controllerManager, scheduler, kwok];
  await waitUntil(
    `${name} nodes Ready and controllers running`,
    () => clusterSettled(kubeconfig, nodes),
    {
      timeoutMs: 60_000,
      intervalMs: 250,
      abort: () => helpers.map((p) => died(p)()).find(Boolean),
    },
  );

  return {
    name,
    server,
    caFile: pki.caCert,
    adminToken,
    kubeconfig,
    restrictedToken,
    restrictedKubeconfig,
    restrictedNamespace: RESTRICTED_NAMESPACE,
  };
}

/**
 * Starts one etcd and, on it, one API server per cluster name (each with its
 * own etcd prefix, port and certificates), plus a controller manager, a
 * scheduler and KWOK per cluster.
 */
export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const names = options.clusterNames ?? ['cluster-a', 'cluster-b'];
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'driftless-cp-'));
  mkdirSync(join(dir, 'logs'), { recursive: true });
  const log = options.log ?? (() => {});
  const processes: ManagedProcess[] = [];
  const stop = async (): Promise<void> => {
    // Helpers first, API servers next, etcd last, so nobody logs reconnect storms.
    await Promise.all(processes.filter((p) => !/apiserver|etcd/.test(p.name)).map((p) => p.stop()));
    await Promise.all(
      processes.filter((p) => p.name.endsWith('kube-apiserver')).map((p) => p.stop()),
    );
    await Promise.all(processes.filter((p) => p.name === 'etcd').map((p) => p.stop()));
    if (!options.keepDir) rmSync(dir, { recursive: true, force: true });
  };
  try {
    const started = Date.now();
    const etcdEndpoint = await startEtcd(dir, processes);
    log(`etcd ready at ${etcdEndpoint}`);
    const clusters = await Promise.all(
      names.map(async (name) => {
        const cluster = await startCluster(name, dir, etcdEndpoint, options.nodes ?? 3, processes);
        log(`${name} ready at ${cluster.server} (kubeconfig ${cluster.kubeconfig})`);
        return cluster;
      }),
    );
    log(`control plane up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const apiServerPid = (cluster: string): number => {
      const found = processes.find((p) => p.name === `${cluster}/kube-apiserver`);
      if (!found) throw new Error(`no kube-apiserver for ${cluster}`);
      return found.pid;
    };
    return { dir, etcdEndpoint, clusters, apiServerPid, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
