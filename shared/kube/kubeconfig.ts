import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import { parse } from 'yaml';
import type { ClusterConnection } from './client.ts';

interface Named<T> {
  name: string;
  [key: string]: unknown;
  cluster?: T;
  user?: T;
  context?: T;
}

interface KubeconfigFile {
  'current-context'?: string;
  clusters?: Named<Record<string, unknown>>[];
  users?: Named<Record<string, unknown>>[];
  contexts?: Named<{ cluster?: string; user?: string }>[];
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Inline base64 data, or a file relative to the kubeconfig's folder. */
async function material(
  data: unknown,
  file: unknown,
  base: string | undefined,
): Promise<Buffer | undefined> {
  if (str(data)) return Buffer.from(str(data)!, 'base64');
  const path = str(file);
  if (!path) return undefined;
  return readFile(isAbsolute(path) || !base ? path : join(base, path));
}

/**
 * Reads a kubeconfig (file path or YAML text) and returns the connection of
 * its current context, or of `context` when given. Tokens, token files,
 * client certificates and CAs are read here; exec plugins and auth providers
 * go to @kubernetes/client-node, loaded only then, since it costs a CLI run
 * about a tenth of a second to load.
 */
export async function connectionFromKubeconfig(
  source: { file: string } | { yaml: string },
  context?: string,
): Promise<ClusterConnection> {
  const text = 'file' in source ? await readFile(source.file, 'utf8') : source.yaml;
  const base = 'file' in source ? dirname(source.file) : undefined;
  const config = (parse(text) ?? {}) as KubeconfigFile;
  const contexts = config.contexts ?? [];
  const name = context ?? config['current-context'];
  if (context && !contexts.some((c) => c.name === context)) {
    throw new Error(
      `kubeconfig has no context "${context}" (it has: ${contexts.map((c) => c.name).join(', ') || 'none'})`,
    );
  }
  const ctx = contexts.find((c) => c.name === name)?.context;
  const cluster = config.clusters?.find((c) => c.name === ctx?.cluster)?.cluster;
  if (!ctx || !cluster || !str(cluster.server))
    throw new Error('kubeconfig has no current context with a cluster');
  const user = config.users?.find((u) => u.name === ctx.user)?.user ?? {};
  if (user.exec || user['auth-provider'] || user.username) {
    const { connectionViaClientNode } = await import('./kubeconfig-client-node.ts');
    return connectionViaClientNode(source, context);
  }
  const token =
    str(user.token) ??
    (str(user.tokenFile) ? (await readFile(str(user.tokenFile)!, 'utf8')).trim() : undefined);
  const connection: ClusterConnection = { server: str(cluster.server)! };
  const ca = await material(
    cluster['certificate-authority-data'],
    cluster['certificate-authority'],
    base,
  );
  const clientCert = await material(
    user['client-certificate-data'],
    user['client-certificate'],
    base,
  );
  const clientKey = await material(user['client-key-data'], user['client-key'], base);
  if (ca) connection.ca = ca;
  if (clientCert) connection.clientCert = clientCert;
  if (clientKey) connection.clientKey = clientKey;
  if (token) connection.token = token;
  if (cluster['insecure-skip-tls-verify'] === true) connection.insecureSkipTlsVerify = true;
  return connection;
}
