import type { ClusterConnection } from '../kube/client.ts';
import { KubeClient } from '../kube/client.ts';
import { Discovery } from '../kube/discovery.ts';
import type { EngineSettings } from './settings.ts';

/** One reconcile's connection to its cluster: a client, its discovery, and the server's version. */
export interface ClusterSession {
  client: KubeClient;
  discovery: Discovery;
  /** The cluster's version (`v1.36.3`), for Helm's `.Capabilities.KubeVersion`. */
  kubeVersion(): Promise<string>;
  /** What the cluster serves, for Helm's `.Capabilities.APIVersions` (discovery.ts). */
  apiVersions(): Promise<string[]>;
  close(): void;
}

async function serverVersion(client: KubeClient): Promise<string> {
  const version = await client.request<{ gitVersion?: string }>({
    method: 'GET',
    path: '/version',
  });
  return version.gitVersion ?? 'v1.36.0';
}

/**
 * Opens the session and asks for the version and discovery documents at
 * once: those round trips (and the TLS handshake) then overlap the Git
 * fetch. A failure resurfaces where the answer is used.
 */
export function openCluster(
  connection: ClusterConnection,
  settings: EngineSettings,
): ClusterSession {
  const client = new KubeClient(connection, { maxSockets: Math.max(8, settings.concurrency) });
  const discovery = new Discovery(client);
  const fixed = settings.render.kubeVersion;
  const version = fixed ? Promise.resolve(fixed) : serverVersion(client);
  version.catch(() => {});
  discovery.refresh().catch(() => {});
  return {
    client,
    discovery,
    kubeVersion: () => version,
    apiVersions: () => discovery.apiVersions(),
    close: () => client.close(),
  };
}
