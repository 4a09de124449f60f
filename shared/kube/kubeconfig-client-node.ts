import { KubeConfig } from '@kubernetes/client-node';
import type { RequestOptions } from 'node:https';
import type { ClusterConnection } from './client.ts';

/**
 * The full kubeconfig reader of @kubernetes/client-node, for what the small
 * reader in kubeconfig.ts leaves to it: exec plugins and auth providers.
 */
export async function connectionViaClientNode(
  source: { file: string } | { yaml: string },
  context?: string,
): Promise<ClusterConnection> {
  const kc = new KubeConfig();
  if ('file' in source) kc.loadFromFile(source.file);
  else kc.loadFromString(source.yaml);
  if (context) {
    if (!kc.getContextObject(context)) {
      const known = kc.getContexts().map((c) => c.name);
      throw new Error(
        `kubeconfig has no context "${context}" (it has: ${known.join(', ') || 'none'})`,
      );
    }
    kc.setCurrentContext(context);
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('kubeconfig has no current context with a cluster');
  const options: RequestOptions = {};
  await kc.applyToHTTPSOptions(options);
  const headers = (options.headers ?? {}) as Record<string, string>;
  const auth = headers.Authorization ?? headers.authorization;
  return {
    server: cluster.server,
    ca: options.ca as string | Buffer | undefined,
    clientCert: options.cert as string | Buffer | undefined,
    clientKey: options.key as string | Buffer | undefined,
    token: auth?.startsWith('Bearer ') ? auth.slice(7) : undefined,
    insecureSkipTlsVerify: cluster.skipTLSVerify,
  };
}
