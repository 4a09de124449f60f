import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { resolveTarget } from '../../cli/target.ts';
import { loadConfigDir } from '../../shared/config/load.ts';
import { reconcile } from '../../shared/engine/reconcile.ts';
import { registerConfig } from '../../shared/scheduler/register.ts';
import { getRegistryEntry } from '../../shared/state/registry.ts';
import { startGitServer, type GitServer } from '../harness/git-server.ts';
import { localDynamoClient } from '../harness/dynamodb.ts';

import { createStateTable } from '../../shared/state/client.ts';
import { ensureTable } from '../../shared/state/ensure-table.ts';
import { exists, twoTeams } from '../helpers/projects.ts';
import { kubectl } from '../helpers/engine.ts';
import { cluster, uniqueName } from '../harness/context.ts';

describe('projects: what an application may write (our check, before any write)', () => {
  let git: GitServer;
  let teams: Awaited<ReturnType<typeof twoTeams>>;
  beforeAll(async () => {
    git = await startGitServer();
    teams = await twoTeams(git);
  });
  afterAll(async () => {
    await git.stop();
  });

  it('refuses an application that reaches outside its project, naming every violation, and applies nothing', async () => {
    const { p, ns, app, project, options } = teams;
    const result = await reconcile(app('bad'), options(project('a')));
    expect(result.status).toBe('Failed');
    expect(result.phase).toBe('project');
    expect(result.project).toBe('team-a');
    const failed = result.objects.filter((o) => o.action === 'Failed');
    expect(failed.map((o) => `${o.ref.kind}/${o.ref.name}`).sort()).toEqual([
      `ClusterRole/${p}-reader`,
      'ConfigMap/intruder',
      `Namespace/${ns.outside}`,
    ]);
    const byKind = Object.fromEntries(failed.map((o) => [o.ref.kind, o.message ?? '']));
    expect(byKind.ClusterRole).toContain('clusterResourceWhitelist');
    expect(byKind.ConfigMap).toContain(
      `namespace ${ns.b} on cluster cluster-a is not a destination`,
    );
    expect(byKind.Namespace).toContain('clusterResourceWhitelist');
    expect(byKind.Namespace).toContain('destinations');
    expect(result.error).toMatch(/3 object\(s\) are outside project team-a; nothing was applied/);
    expect(failed.every((o) => o.source?.file)).toBe(true);
    // Nothing applied: not even the object the project allows.
    expect(await exists('configmap', 'keep-out', '-n', ns.a)).toBe(false);
    expect(await exists('configmap', 'intruder', '-n', ns.b)).toBe(false);
    expect(await exists('clusterrole', `${p}-reader`)).toBe(false);
    expect(await exists('namespace', ns.outside)).toBe(false);
  });

  it('syncs the valid sibling in the same repository', async () => {
    const { ns, app, project, options } = teams;
    const result = await reconcile(app('good'), options(project('a')));
    expect(result.error).toBeUndefined();
    expect(result.status).toBe('Synced');
    expect(await exists('configmap', 'good-cm', '-n', ns.a)).toBe(true);
  });

  it("refuses team A's application under team B's rules", async () => {
    const { app, project, options } = teams;
    const result = await reconcile(app('good'), options(project('b')));
    expect(result.status).toBe('Failed');
    expect(result.phase).toBe('project');
    expect(result.objects[0]?.message).toMatch(
      /is not a destination \(project team-b, destinations\)/,
    );
  });

  it('lets a whitelisted cluster-scoped kind through, and a blacklisted namespaced kind not', async () => {
    const { p, app, project, options } = teams;
    const allowClusterRoles = project('a', {
      clusterResourceWhitelist: [{ group: 'rbac.authorization.k8s.io', kind: 'ClusterRole' }],
      namespaceResourceBlacklist: [{ group: '', kind: 'ConfigMap' }],
    });
    const result = await reconcile(app('bad'), options(allowClusterRoles));
    const messages = result.objects.filter((o) => o.action === 'Failed').map((o) => o.message);
    expect(messages.join('\n')).not.toContain(`ClusterRole ${p}-reader`);
    expect(messages.join('\n')).toContain('kind core/ConfigMap is blacklisted');
    expect(await exists('clusterrole', `${p}-reader`)).toBe(false);
  });
});

describe('projects: orphanedResources', () => {
  let git: GitServer;
  let teams: Awaited<ReturnType<typeof twoTeams>>;
  beforeAll(async () => {
    git = await startGitServer();
    teams = await twoTeams(git);
  });
  afterAll(async () => {
    await git.stop();
  });

  it("warns about objects in the application's namespaces that nobody declared, without failing the sync", async () => {
    const { ns, app, project, options } = teams;
    await kubectl(cluster('cluster-a'), 'create', 'configmap', 'hand-made', '-n', ns.a);
    await kubectl(cluster('cluster-a'), 'create', 'configmap', 'scratch-1', '-n', ns.a);
    const warned = project('a', {
      orphanedResources: {
        warn: true,
        ignore: [
          { group: '', kind: 'ConfigMap', name: 'scratch-*' },
          // The team's RBAC, made by hand in the fixture.
          { group: 'rbac.authorization.k8s.io', kind: 'RoleBinding' },
        ],
      },
    });
    const result = await reconcile(app('good'), options(warned));
    expect(result.status).toBe('Synced');
    expect(result.orphans?.objects).toEqual([
      { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns.a, name: 'hand-made' },
    ]);
    expect(result.orphans?.total).toBe(1);
    expect(result.orphans?.errors).toEqual([]);
    // Without the setting, nothing is listed.
    const quiet = await reconcile(app('good'), options(project('a')));
    expect(quiet.orphans).toBeUndefined();
  });
});

describe('projects at registration: repository and destinations', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'driftless-project-config-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const write = (file: string, text: string) => {
    mkdirSync(join(dir, file, '..'), { recursive: true });
    writeFileSync(join(dir, file), text);
  };
  const application = (name: string, project: string, repo: string, namespace: string) =>
    `apiVersion: driftless.dev/v1alpha1
kind: Application
metadata: { name: ${name} }
spec:
  project: ${project}
  source: { repoURL: ${repo}, targetRevision: main, path: app }
  destination: { cluster: cluster-a, namespace: ${namespace} }
`;

  it('disables an application whose repository or destination its project does not allow, with the reason in the registry', async () => {
    write(
      'projects/team-a.yaml',
      `apiVersion: driftless.dev/v1alpha1
kind: Project
metadata: { name: team-a }
spec:
  sourceRepos: ['https://git.example.com/team-a/*']
  destinations: [{ cluster: cluster-a, namespace: 'a-*' }]
`,
    );
    write(
      'projects/broken.yaml',
      'apiVersion: driftless.dev/v1alpha1\nkind: Project\nmetadata: { name: broken }\nspec: { sourceRepos: [] }\n',
    );
    write(
      'clusters/a.yaml',
      'apiVersion: driftless.dev/v1alpha1\nkind: Cluster\nmetadata: { name: cluster-a }\nspec: { kubeconfig: { file: kc } }\n',
    );
    write(
      'apps/ok.yaml',
      application('ok', 'team-a', 'https://git.example.com/team-a/web.git', 'a-web'),
    );
    write(
      'apps/foreign.yaml',
      application('foreign', 'team-a', 'https://git.example.com/team-b/web', 'a-web'),
    );
    write(
      'apps/lookalike.yaml',
      application('lookalike', 'team-a', 'https://git.example.com:8443/team-a/web', 'a-web'),
    );
    write(
      'apps/elsewhere.yaml',
      application('elsewhere', 'team-a', 'https://git.example.com/team-a/web', 'b-web'),
    );
    write(
      'apps/nobody.yaml',
      application('nobody', 'team-z', 'https://git.example.com/team-a/web', 'a-web'),
    );
    write(
      'apps/orphan.yaml',
      application('orphan', 'broken', 'https://git.example.com/team-a/web', 'a-web'),
    );
    write(
      'apps/legacy.yaml',
      application('legacy', 'default', 'https://anywhere.example/x', 'kube-system'),
    );

    const set = loadConfigDir(dir);
    expect([...set.applications.keys()].sort()).toEqual(['legacy', 'ok']);
    const reasons = Object.fromEntries(
      set.errors
        .filter((e) => e.subject?.kind === 'Application')
        .map((e) => [e.subject!.name, e.message]),
    );
    expect(reasons.foreign).toMatch(
      /spec\.source\.repoURL: https:\/\/git\.example\.com\/team-b\/web is not in project team-a's sourceRepos/,
    );
    expect(reasons.lookalike).toMatch(/is not in project team-a's sourceRepos/);
    expect(reasons.elsewhere).toMatch(
      /spec\.destination\.namespace: namespace b-web on cluster cluster-a is not a destination of project team-a/,
    );
    expect(reasons.nobody).toMatch(/project "team-z" is not declared/);
    expect(reasons.orphan).toMatch(/project "broken" cannot be used: [\s\S]*spec\.sourceRepos/);

    const { endpoint } = inject('dynamo');
    const table = createStateTable({
      tableName: uniqueName('projects'),
      client: localDynamoClient(endpoint),
    });
    await ensureTable(table.client, table.tableName);
    const report = await registerConfig(table, set);
    expect(report.registered.sort()).toEqual(['legacy', 'ok']);
    const foreign = await getRegistryEntry(table, 'foreign');
    expect(foreign?.app).toBeUndefined();
    expect(foreign?.error).toContain("team-a's sourceRepos");
    const ok = await getRegistryEntry(table, 'ok');
    expect(ok?.project?.metadata.name).toBe('team-a');
    // The built-in default project keeps today's behaviour.
    expect((await getRegistryEntry(table, 'legacy'))?.project?.spec.sourceRepos).toEqual(['*']);
    table.client.destroy();
  });

  it('disables the applications of a broken default project instead of using the built-in one, and reports a misspelled kind', () => {
    const other = mkdtempSync(join(tmpdir(), 'driftless-broken-default-'));
    try {
      const put = (file: string, text: string) => {
        mkdirSync(join(other, file, '..'), { recursive: true });
        writeFileSync(join(other, file), text);
      };
      put(
        'projects/default.yaml',
        'apiVersion: driftless.dev/v1alpha1\nkind: Project\nmetadata: { name: default }\nspec:\n  sourceRepos: [https://git.example.com/*]\n  destinations: [{ cluster: cluster-a, namespace: apps }]\n  clusterResourceWhitelst: []\n',
      );
      put(
        'projects/typo.yaml',
        'apiVersion: driftless.dev/v1alpha1\nkind: project\nmetadata: { name: team-z }\nspec: {}\n',
      );
      put(
        'apps/anything.yaml',
        application('anything', 'default', 'https://evil.example.com/x', 'kube-system'),
      );
      const set = loadConfigDir(other);
      expect(set.applications.size).toBe(0);
      const messages = set.errors.map((e) => e.message).join('\n');
      expect(messages).toMatch(/project "default" cannot be used: [\s\S]*clusterResourceWhitelst/);
      expect(messages).toMatch(
        /typo\.yaml: kind must be Application, Cluster or Project; got "project"/,
      );
      expect(() =>
        resolveTarget({ file: join(other, 'apps/anything.yaml'), config: other }),
      ).toThrow(/project "default" cannot be used/);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('refuses the same applications in the CLI, and finds the project of one given with -f', () => {
    expect(() => resolveTarget({ app: 'foreign', config: dir })).toThrow(/team-a's sourceRepos/);
    expect(() => resolveTarget({ file: join(dir, 'apps/elsewhere.yaml'), config: dir })).toThrow(
      /namespace b-web on cluster cluster-a is not a destination of project team-a/,
    );
    expect(() => resolveTarget({ file: join(dir, 'apps/ok.yaml') })).toThrow(
      /project "team-a" is not declared \(give --config DIR/,
    );
    expect(resolveTarget({ app: 'ok', config: dir }).project.metadata.name).toBe('team-a');
    expect(
      resolveTarget({
        file: join(dir, 'apps/legacy.yaml'),
        kubeconfig: cluster('cluster-a').kubeconfig,
      }).project.spec.sourceRepos,
    ).toEqual(['*']);
  });
});
