import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Cluster } from '../../shared/config/cluster.ts';
import { reconcile } from '../../shared/engine/reconcile.ts';
import { identityTarget, projectIdentity } from '../../shared/project/identity.ts';
import { startGitServer, type GitServer } from '../harness/git-server.ts';
import { exists, twoTeams } from '../helpers/projects.ts';

// A build of the engine without our project check: only the cluster's RBAC,
// reached through the project's ServiceAccount, stands between the
// application and what it must not write.
vi.mock('../../shared/sync/outside-project.ts', () => ({ outsideProject: () => [] }));

const declared: Cluster = {
  apiVersion: 'driftless.dev/v1alpha1',
  kind: 'Cluster',
  metadata: { name: 'cluster-a' },
  spec: { kubeconfig: { file: 'unused' } },
};

describe('projects: the cluster enforces them too (impersonated ServiceAccount, our check switched off)', () => {
  let git: GitServer;
  let teams: Awaited<ReturnType<typeof twoTeams>>;
  beforeAll(async () => {
    git = await startGitServer();
    teams = await twoTeams(git);
  });
  afterAll(async () => {
    await git.stop();
  });

  const identityOf = (path: 'good' | 'bad') =>
    projectIdentity(teams.project('a'), identityTarget(teams.app(path), declared));

  it("writes as the destination's ServiceAccount of the project", () => {
    expect(identityOf('good')).toEqual({
      impersonate: { user: `system:serviceaccount:${teams.ns.a}:deployer` },
    });
  });

  it('has the API server refuse what the project does not allow, and applies nothing', async () => {
    const { p, ns, app, project, options } = teams;
    const result = await reconcile(app('bad'), options(project('a'), identityOf('bad')));
    expect(result.status).toBe('Failed');
    expect(result.phase).toBe('diff');
    const failed = result.objects.filter((o) => o.action === 'Failed');
    expect(failed.map((o) => o.ref.name).sort()).toEqual(
      ['intruder', `${p}-reader`, ns.outside].sort(),
    );
    for (const o of failed) expect(o.message).toMatch(/forbidden/i);
    expect(failed.find((o) => o.ref.name === 'intruder')?.message).toContain(
      `system:serviceaccount:${ns.a}:deployer`,
    );
    expect(await exists('configmap', 'keep-out', '-n', ns.a)).toBe(false);
    expect(await exists('configmap', 'intruder', '-n', ns.b)).toBe(false);
    expect(await exists('clusterrole', `${p}-reader`)).toBe(false);
    expect(await exists('namespace', ns.outside)).toBe(false);
  });

  it('syncs what the ServiceAccount may write', async () => {
    const { ns, app, project, options } = teams;
    const result = await reconcile(app('good'), options(project('a'), identityOf('good')));
    expect(result.error).toBeUndefined();
    expect(result.status).toBe('Synced');
    expect(await exists('configmap', 'good-cm', '-n', ns.a)).toBe(true);
  });
});
