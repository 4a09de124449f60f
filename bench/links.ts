import { proxyCluster, startToxiproxy, type Toxiproxy } from '../test/harness/toxiproxy.ts';
import type { LocalCluster } from '../test/harness/control-plane.ts';

/** A way to reach the API server: directly, or through a proxy that adds a round-trip time. */
export interface Link {
  /** `loopback`, `rtt2`, `rtt20`. */
  name: string;
  /** Appended to a case's name: '' at loopback, `-rtt2`, `-rtt20`. */
  suffix: string;
  /** Milliseconds added to every round trip. */
  rttMs: number;
  kubeconfig: string;
  server: string;
}

export interface Links {
  all: Link[];
  /** For more proxies (Git, DynamoDB) in the same run. */
  toxiproxy: Toxiproxy;
  stop(): Promise<void>;
}

/**
 * Loopback plus one Toxiproxy proxy per added round trip (half of it on
 * each direction, so a request and its answer together wait `rtt` ms): what a
 * client in the same region (2 ms) or another region (20 ms) sees of EKS.
 */
export async function startLinks(cluster: LocalCluster, rtts: number[]): Promise<Links> {
  const toxiproxy: Toxiproxy = await startToxiproxy();
  const all: Link[] = [
    {
      name: 'loopback',
      suffix: '',
      rttMs: 0,
      kubeconfig: cluster.kubeconfig,
      server: cluster.server,
    },
  ];
  const disposals: (() => void)[] = [];
  for (const rtt of rtts) {
    const proxied = await proxyCluster(toxiproxy, cluster, `api-rtt${rtt}`);
    for (const stream of ['upstream', 'downstream'] as const)
      await proxied.proxy.addToxic({ type: 'latency', stream, attributes: { latency: rtt / 2 } });
    disposals.push(() => proxied.dispose());
    all.push({
      name: `rtt${rtt}`,
      suffix: `-rtt${rtt}`,
      rttMs: rtt,
      kubeconfig: proxied.kubeconfig,
      server: proxied.server,
    });
  }
  return {
    all,
    toxiproxy,
    async stop() {
      for (const dispose of disposals) dispose();
      await toxiproxy.stop();
    },
  };
}
