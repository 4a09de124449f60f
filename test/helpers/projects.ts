import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Application } from '../../shared/config/application.ts';
import { Project, type ProjectInput } from '../../shared/config/project.ts';
import type { ClusterConnection } from '../../shared/kube/client.ts';
import type { ClusterIdentity } from '../../shared/kube/connect.ts';
import { engineSettings } from '../../shared/engine/settings.ts';
import type { ReconcileOptions } from '../../shared/engine/reconcile.ts';
import { cluster, uniqueName } from '../harness/context.ts';
import { commitTree } from '../harness/git-fixtures.ts';
import type { GitServer } from '../harness/git-server.ts';
import { toolPath } from '../harness/tools.ts';
import { kubectl } from './engine.ts';

const yaml = (kind: string, name: string, extra = '') =>
  `apiVersion: ${kind === 'ClusterRole' ? 'rbac.authorization.k8s.io/v1' : 'v1'}\nkind: ${kind}\nmetadata:\n  name: ${name}\n${extra}`;

/**
 * Two teams on cluster-a: team A may use namespaces `P-a-*`, team B `P-b-*`,
 * neither any cluster-scoped kind; each writes as the ServiceAccount
 * `deployer` of the destination namespace, which the `edit` ClusterRole is
 * bound to there (and nowhere else). One repository holds a valid app of
 * team A (`good/`) and one that reaches outside it (`bad/`): a ClusterRole,
 * a ConfigMap in team B's namespace and a Namespace outside both globs, next
 * to a ConfigMap it may write.
 */
export async function twoTeams(git: GitServer) {
  const p = uniqueName('prj');
  const ns = { a: `${p}-a-web`, b: `${p}-b-web`, outside: `${p}-c-ns` };
  for (const n of [ns.a, ns.b]) {
    await kubectl(cluster('cluster-a'), 'create', 'namespace', n);
    await kubectl(
      cluster('cluster-a'),
      'create',
      'rolebinding',
      'deployer-edit',
      '--clusterrole=edit',
      `--serviceaccount=${n}:deployer`,
      '-n',
      n,
    );
  }
  const repo = git.createRepo(p);
  commitTree(git.repoPath(p), 'main', {
    'good/cm.yaml': yaml('ConfigMap', 'good-cm', 'data:\n  team: a\n'),
    'bad/ok.yaml': yaml('ConfigMap', 'keep-out', 'data:\n  team: a\n'),
    'bad/cr.yaml': `${yaml('ClusterRole', `${p}-reader`)}rules: []\n`,
    'bad/intruder.yaml': yaml('ConfigMap', 'intruder', `  namespace: ${ns.b}\ndata:\n  team: a\n`),
    'bad/ns.yaml': yaml('Namespace', ns.outside),
  });
  const project = (team: 'a' | 'b', extra: Partial<ProjectInput['spec']> = {}): Project =>
    Project.parse({
      apiVersion: 'driftless.dev/v1alpha1',
      kind: 'Project',
      metadata: { name: `team-${team}` },
      spec: {
        sourceRepos: [`${git.url}/*`],
        destinations: [{ cluster: 'cluster-a', namespace: `${p}-${team}-*` }],
        destinationServiceAccounts: [
          { cluster: 'cluster-a', namespace: `${p}-${team}-*`, defaultServiceAccount: 'deployer' },
        ],
        ...extra,
      },
    });
  const app = (path: 'good' | 'bad', team: 'a' | 'b' = 'a'): Application =>
    Application.parse({
      apiVersion: 'driftless.dev/v1alpha1',
      kind: 'Application',
      metadata: { name: `${p}-${path}` },
      spec: {
        project: `team-${team}`,
        source: { repoURL: repo, targetRevision: 'main', path },
        destination: { cluster: 'cluster-a', namespace: ns.a },
        syncPolicy: { automated: { prune: true } },
        healthTimeout: '30s',
      },
    });
  const cacheDir = mkdtempSync(join(tmpdir(), 'driftless-projects-'));
  const options = (
    projectDef: Project,
    identity: ClusterIdentity = {},
  ): ReconcileOptions & { cleanup(): void } => {
    const c = cluster('cluster-a');
    const connection: ClusterConnection = {
      server: c.server,
      ca: readFileSync(c.caFile),
      token: c.adminToken,
      ...(identity.impersonate ? { impersonate: identity.impersonate } : {}),
    };
    return {
      cluster: { name: c.name, connection },
      project: projectDef,
      settings: engineSettings({
        source: { cacheDir },
        render: { binaries: { kustomize: toolPath('kustomize'), helm: toolPath('helm') } },
      }),
      cleanup: () => rmSync(cacheDir, { recursive: true, force: true }),
    };
  };
  return { p, ns, repo, project, app, options };
}

/** Whether the object exists, as the cluster's admin sees it. */
export async function exists(...args: string[]): Promise<boolean> {
  try {
    await kubectl(cluster('cluster-a'), 'get', ...args);
    return true;
  } catch {
    return false;
  }
}
