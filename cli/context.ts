import { resolve } from 'node:path';
import type { Application } from '../shared/config/application.ts';
import type { Cluster } from '../shared/config/cluster.ts';
import type { Project } from '../shared/config/project.ts';
import { identityTarget, projectIdentity, type ProjectRoles } from '../shared/project/identity.ts';
import { functionProjectRoles } from '../shared/runtime/project-roles.ts';
import type { ClusterConnection } from '../shared/kube/client.ts';
import { connectCluster } from '../shared/kube/connect.ts';
import type { ReconcileProgress } from '../shared/engine/reconcile.ts';
import { CredentialScope, inScope } from '../shared/secrets/credential-scope.ts';
import { defaultCacheDir } from '../shared/source/cache-root.ts';
import { engineSettings, type EngineSettings } from '../shared/engine/settings.ts';
import type { SourceOptions } from '../shared/source/index.ts';
import { CliError, EXIT } from './errors.ts';
import { cliSealKey } from './seal-key.ts';

/**
 * The engine's settings for one command, built once: the Git cache
 * (`--cache-dir`, or the user's cache folder) with credentials from the
 * environment, and the engine's defaults for the rest.
 */
export function cliSettings(cacheDir: string | undefined): EngineSettings {
  const cacheSealKey = cliSealKey();
  return engineSettings({
    source: { cacheDir: resolve(cacheDir ?? defaultCacheDir()), ...gitAuthFromEnv(process.env) },
    render: cacheSealKey ? { cacheSealKey } : {},
  });
}

const EXAMPLE_PREFIX = 'https://github.com/acme';

/**
 * HTTPS credentials for Git from DRIFTLESS_GIT_USERNAME / DRIFTLESS_GIT_PASSWORD
 * (a token), sent only to repositories under DRIFTLESS_GIT_URL (an origin or
 * URL prefix). Without DRIFTLESS_GIT_URL they are sent nowhere: an
 * application file names its repository, and the token must not follow it to
 * whatever host it names. The hint says so on a 401, not on every run.
 */
export function gitAuthFromEnv(env: NodeJS.ProcessEnv): Pick<SourceOptions, 'auth' | 'authHint'> {
  const password = env.DRIFTLESS_GIT_PASSWORD;
  if (!password) {
    return {
      authHint: `to send credentials, set DRIFTLESS_GIT_URL (e.g. ${EXAMPLE_PREFIX}) and DRIFTLESS_GIT_PASSWORD`,
    };
  }
  if (!env.DRIFTLESS_GIT_URL) {
    return {
      authHint: `DRIFTLESS_GIT_PASSWORD is sent nowhere until DRIFTLESS_GIT_URL names the origin or URL prefix it is for (e.g. ${EXAMPLE_PREFIX})`,
    };
  }
  const scope = CredentialScope.safeParse(env.DRIFTLESS_GIT_URL);
  if (!scope.success) {
    throw new CliError(`DRIFTLESS_GIT_URL: ${scope.error.issues.map((i) => i.message).join('; ')}`);
  }
  const credentials = { username: env.DRIFTLESS_GIT_USERNAME || 'git', password };
  return {
    auth: (url) => (inScope(scope.data, url) ? credentials : undefined),
    authHint: `DRIFTLESS_GIT_PASSWORD is sent only under DRIFTLESS_GIT_URL (${scope.data.origin}${scope.data.path})`,
  };
}

/**
 * A connection to the cluster, as the application's project's identity when
 * its project has one there (impersonation through a kubeconfig; the role in
 * DRIFTLESS_PROJECT_ROLES on EKS).
 */
export async function connect(
  cluster: Cluster,
  as?: { app: Application; project: Project },
): Promise<ClusterConnection> {
  try {
    const identity = as
      ? projectIdentity(as.project, identityTarget(as.app, cluster), cliProjectRoles())
      : {};
    return await connectCluster(cluster, identity);
  } catch (err) {
    throw new CliError(
      `cannot use cluster "${cluster.metadata.name}": ${(err as Error).message}`,
      EXIT.failed,
    );
  }
}

/** Project roles for EKS clusters, as the functions get them (DRIFTLESS_PROJECT_ROLES). */
function cliProjectRoles(): ProjectRoles {
  try {
    return functionProjectRoles(process.env);
  } catch (err) {
    throw new CliError((err as Error).message);
  }
}

/** Progress lines on stderr, so stdout stays clean for `--output json`. */
export function progressPrinter(quiet: boolean): ((p: ReconcileProgress) => void) | undefined {
  if (quiet) return undefined;
  return (p) => process.stderr.write(`[${p.phase}] ${p.message}\n`);
}
