import { describe, expect, it } from 'vitest';
import { Project, type ProjectInput } from '../../shared/config/project.ts';
import { sourcePermitted } from '../../shared/config/project-permits.ts';
import { namespacedKindPermitted, objectViolations } from '../../shared/project/check-objects.ts';
import { projectIdentity } from '../../shared/project/identity.ts';
import { globMatch } from '../../shared/util/glob.ts';

const project = (spec: Partial<ProjectInput['spec']> = {}): Project =>
  Project.parse({
    apiVersion: 'driftless.dev/v1alpha1',
    kind: 'Project',
    metadata: { name: 'team-a' },
    spec: {
      sourceRepos: ['https://git.example.com/team-a/*'],
      destinations: [{ cluster: 'prod-*', namespace: 'a-*' }],
      ...spec,
    },
  });

describe('project globs and rules', () => {
  it('matches globs literally except * and ?', () => {
    expect(globMatch('a-*', 'a-web')).toBe(true);
    expect(globMatch('a-*', 'b-web')).toBe(false);
    expect(globMatch('a.b', 'axb')).toBe(false);
    expect(globMatch('a+', 'aa')).toBe(false);
    expect(globMatch('(x|y)', 'x')).toBe(false);
    expect(globMatch('v?', 'v1')).toBe(true);
    expect(globMatch('https://h/*', 'https://h/org/repo')).toBe(true);
    expect(globMatch('*', '')).toBe(true);
    expect(globMatch('', '')).toBe(true);
    expect(globMatch('', 'apps')).toBe(false);
  });

  it('compares repository URLs without a trailing .git or / and with any case of host, but not another port or scheme', () => {
    const p = project();
    expect(sourcePermitted(p, 'https://git.example.com/team-a/web.git')).toBe(true);
    expect(sourcePermitted(p, 'https://GIT.example.com/team-a/web/')).toBe(true);
    expect(sourcePermitted(p, 'https://git.example.com:8443/team-a/web')).toBe(false);
    expect(sourcePermitted(p, 'http://git.example.com/team-a/web')).toBe(false);
    expect(sourcePermitted(p, 'https://git.example.com/team-ab/web')).toBe(false);
    expect(sourcePermitted(p, 'https://git.example.com/Team-A/web')).toBe(false);
    // `*` spans `/`: dot segments would climb out of the permitted prefix.
    expect(sourcePermitted(p, 'https://git.example.com/team-a/../team-b/private')).toBe(false);
    expect(sourcePermitted(p, 'https://git.example.com/team-a/%2e%2e/team-b/private')).toBe(false);
    expect(sourcePermitted(p, 'https://git.example.com/team-a/./web')).toBe(false);
    expect(sourcePermitted(p, 'https://git.example.com/team-a/.config')).toBe(true);
  });

  it('names every rule an object breaks', () => {
    const p = project({ namespaceResourceBlacklist: [{ group: '', kind: 'Secret' }] });
    const secret = { apiVersion: 'v1', kind: 'Secret', namespace: 'b-web', name: 's' };
    expect(objectViolations(p, 'prod-eu', secret).map((v) => v.rule)).toEqual([
      'destinations',
      'namespaceResourceBlacklist',
    ]);
    expect(objectViolations(p, 'staging', { ...secret, namespace: 'a-web' })[0]?.message).toBe(
      'Secret a-web/s: namespace a-web on cluster staging is not a destination (project team-a, destinations)',
    );
    const ns = { apiVersion: 'v1', kind: 'Namespace', name: 'a-new' };
    expect(objectViolations(p, 'prod-eu', ns).map((v) => v.rule)).toEqual([
      'clusterResourceWhitelist',
    ]);
    const allowNs = project({ clusterResourceWhitelist: [{ group: '', kind: 'Namespace' }] });
    expect(objectViolations(allowNs, 'prod-eu', ns)).toEqual([]);
    expect(objectViolations(allowNs, 'prod-eu', { ...ns, name: 'kube-system' })[0]?.rule).toBe(
      'destinations',
    );
    const wildcard = project({ clusterResourceWhitelist: [{ group: '*', kind: '*' }] });
    const crb = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      name: 'x',
    };
    expect(objectViolations(wildcard, 'prod-eu', crb)).toEqual([]);
    const whitelisted = project({ namespaceResourceWhitelist: [{ group: 'apps', kind: '*' }] });
    expect(namespacedKindPermitted(whitelisted, { group: 'apps', kind: 'Deployment' })).toBe(true);
    expect(namespacedKindPermitted(whitelisted, { group: '', kind: 'ConfigMap' })).toBe(false);
  });
});

describe('project identity', () => {
  const sa = (defaultServiceAccount: string) =>
    project({
      destinationServiceAccounts: [{ cluster: 'prod-*', namespace: 'a-*', defaultServiceAccount }],
    });
  const target = {
    app: 'web',
    cluster: 'prod-eu',
    namespace: 'a-web',
    access: 'kubeconfig',
  } as const;

  it('impersonates the first matching ServiceAccount, in the destination namespace or the one named', () => {
    expect(projectIdentity(sa('deployer'), target)).toEqual({
      impersonate: { user: 'system:serviceaccount:a-web:deployer' },
    });
    expect(projectIdentity(sa('ops:deployer'), target)).toEqual({
      impersonate: { user: 'system:serviceaccount:ops:deployer' },
    });
    // A project that names ServiceAccounts never falls back to Driftless's own identity.
    expect(() => projectIdentity(sa('deployer'), { ...target, cluster: 'staging' })).toThrow(
      /no destinationServiceAccounts entry matches cluster staging.*refusing to write as Driftless itself/,
    );
    expect(projectIdentity(project(), { ...target, cluster: 'staging' })).toEqual({});
    // No destination namespace: only an entry for every namespace matches, and it must name one.
    expect(() => projectIdentity(sa('deployer'), { ...target, namespace: undefined })).toThrow(
      /namespace \(none\)/,
    );
    const anyNamespace = project({
      destinationServiceAccounts: [
        { cluster: '*', namespace: '*', defaultServiceAccount: 'deployer' },
      ],
    });
    expect(() => projectIdentity(anyNamespace, { ...target, namespace: undefined })).toThrow(
      /write it as namespace:name/,
    );
  });

  it("assumes the project's role on EKS, tagging the session with application and project", () => {
    expect(
      projectIdentity(
        project(),
        { ...target, access: 'eks' },
        { 'team-a': 'arn:aws:iam::1:role/a' },
      ),
    ).toEqual({
      roleArn: 'arn:aws:iam::1:role/a',
      sessionName: 'driftless-web',
      sessionTags: { 'driftless:application': 'web', 'driftless:project': 'team-a' },
    });
    expect(projectIdentity(project(), { ...target, access: 'eks' }, {})).toEqual({});
  });

  it('refuses deny globs, which would silently allow everything they meant to deny', () => {
    expect(() => project({ sourceRepos: ['*', '!https://git.example.com/internal/*'] })).toThrow(
      /deny globs/,
    );
    expect(() => project({ destinations: [{ cluster: '*', namespace: '!kube-system' }] })).toThrow(
      /deny globs/,
    );
  });

  it('reads a role only for a project that has one (no inherited names)', () => {
    expect(
      projectIdentity(
        Project.parse({
          apiVersion: 'driftless.dev/v1alpha1',
          kind: 'Project',
          metadata: { name: 'constructor' },
          spec: { sourceRepos: ['*'], destinations: [{ cluster: '*', namespace: '*' }] },
        }),
        { ...target, access: 'eks' },
        {},
      ),
    ).toEqual({});
  });

  it('refuses a ServiceAccount that is not a name', () => {
    expect(() => sa('system:masters:x')).toThrow(/ServiceAccount name/);
    expect(() => sa('../x')).toThrow(/ServiceAccount name/);
  });
});
