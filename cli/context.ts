import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Cluster } from '../shared/config/cluster.ts';
import type { ClusterConnection } from '../shared/kube/client.ts';
import { connectCluster } from '../shared/kube/connect.ts';
import type { ReconcileProgress } from '../shared/reconcile.ts';
import type { SourceOptions } from '../shared/source/index.ts';
import { CliError, EXIT } from './errors.ts';

/** Where fetched repositories are cached between runs: `--cache-dir`, or a folder under the system temp dir. */
export function sourceOptions(cacheDir: string | undefined): SourceOptions {
  const auth = gitAuthFromEnv();
  return {
    cacheDir: resolve(cacheDir ?? join(tmpdir(), 'driftless-cache')),
    ...(auth ? { auth } : {}),
  };
}

/** HTTPS credentials for Git from DRIFTLESS_GIT_USERNAME / DRIFTLESS_GIT_PASSWORD (a token), for private repositories. */
function gitAuthFromEnv(): SourceOptions['auth'] {
  const username = process.env.DRIFTLESS_GIT_USERNAME;
  const password = process.env.DRIFTLESS_GIT_PASSWORD;
  if (!password) return undefined;
  return () => ({ username: username ?? 'git', password });
}

export async function connect(cluster: Cluster): Promise<ClusterConnection> {
  try {
    return await connectCluster(cluster);
  } catch (err) {
    throw new CliError(
      `cannot use cluster "${cluster.metadata.name}": ${(err as Error).message}`,
      EXIT.failed,
    );
  }
}

/** Progress lines on stderr, so stdout stays clean for `--output json`. */
export function progressPrinter(quiet: boolean): ((p: ReconcileProgress) => void) | undefined {
  if (quiet) return undefined;
  return (p) => process.stderr.write(`[${p.phase}] ${p.message}\n`);
}
