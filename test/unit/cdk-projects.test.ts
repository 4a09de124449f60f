import { beforeAll, describe, expect, test } from 'vitest';
import { API_ROUTES } from '../../cdk/http-apis.ts';
import type { DriftlessProject } from '../../cdk/project-roles.ts';
import {
  actions,
  functionNamed,
  logicalId,
  nagViolations,
  resourcesOf,
  statementsOf,
  synth,
  type Statement,
  type Synth,
} from './cdk-synth.ts';

/** Projects: one role per project with its own access entries; Driftless's roles get none. */

const TEAMS: DriftlessProject[] = [
  { name: 'team-a', namespaces: ['a-*'] },
  { name: 'team-b', namespaces: ['b-*'] },
];

const policyArn = (name: string) => ({
  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:eks::aws:cluster-access-policy/${name}`]],
});
const arnOf = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });

/** The project roles' logical ids by project name (the role of `team-a` is under Projects/team-a). */
function projectRoleIds(template: Synth['template']): Record<string, string> {
  return Object.fromEntries(
    ['team-a', 'team-b'].map((name) => [
      name,
      logicalId(template, 'AWS::IAM::Role', `DriftlessProjects${name.replace('-', '')}Role`),
    ]),
  );
}

function accessEntries(template: Synth['template']): Record<string, unknown>[] {
  return Object.values(resourcesOf(template, 'AWS::EKS::AccessEntry')).map((e) => e.Properties);
}

/** A synthesized string with its `Fn::Join` of literals and `Fn::GetAtt`s written out (`<id.Arn>`). */
function joined(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as { 'Fn::Join'?: [string, unknown[]]; 'Fn::GetAtt'?: [string, string] };
  if (v['Fn::GetAtt']) return `<${v['Fn::GetAtt'].join('.')}>`;
  if (v['Fn::Join']) return v['Fn::Join'][1].map(joined).join(v['Fn::Join'][0]);
  throw new Error(`cannot write out ${JSON.stringify(value)}`);
}

const environmentOf = (template: Synth['template'], prefix: string) =>
  (
    functionNamed(template, prefix).Properties.Environment as {
      Variables: Record<string, unknown>;
    }
  ).Variables;

describe('Driftless projects', () => {
  let two: Synth;
  let roles: Record<string, string>;

  beforeAll(() => {
    two = synth(() => ({ clusters: [{ cluster: { clusterName: 'prod' } }], projects: TEAMS }));
    roles = projectRoleIds(two.template);
  }, 60_000);

  test('one role per project, assumable by the reconciler and the API only with its project tag', () => {
    const { template, driftless } = two;
    expect(Object.keys(driftless.projectRoles).sort()).toEqual(['team-a', 'team-b']);
    const reconciler = logicalId(template, 'AWS::IAM::Role', 'DriftlessReconcilerRole');
    const api = logicalId(template, 'AWS::IAM::Role', 'DriftlessApiRole');
    const all = resourcesOf(template, 'AWS::IAM::Role');
    for (const [name, id] of Object.entries(roles)) {
      const role = all[id]!;
      expect(role.Properties.MaxSessionDuration).toBe(3600);
      const trust = (role.Properties.AssumeRolePolicyDocument as { Statement: Statement[] })
        .Statement as (Statement & { Principal: unknown })[];
      expect(trust).toHaveLength(2);
      expect(trust.map((s) => s.Principal)).toEqual(
        expect.arrayContaining([{ AWS: arnOf(reconciler) }, { AWS: arnOf(api) }]),
      );
      for (const statement of trust) {
        expect(statement.Effect).toBe('Allow');
        expect(actions(statement).sort()).toEqual(['sts:AssumeRole', 'sts:TagSession']);
        expect(statement.Condition).toEqual({
          StringEquals: { 'aws:RequestTag/driftless:project': name },
        });
      }
      // The role carries no permissions of its own: its only power is its access entries.
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
      expect(statementsOf(template, id)).toEqual([]);
    }
  });

  test('one namespace-scoped access entry per project and cluster, none for Driftless itself', () => {
    const { template } = two;
    const entries = accessEntries(template);
    expect(entries).toHaveLength(2);
    for (const [name, namespaces] of [
      ['team-a', ['a-*']],
      ['team-b', ['b-*']],
    ] as const) {
      expect(entries).toContainEqual({
        ClusterName: 'prod',
        PrincipalArn: arnOf(roles[name]!),
        Type: 'STANDARD',
        AccessPolicies: [
          {
            PolicyArn: policyArn('AmazonEKSEditPolicy'),
            AccessScope: { Type: 'namespace', Namespaces: namespaces },
          },
        ],
      });
    }
    const principals = JSON.stringify(entries.map((e) => e.PrincipalArn));
    expect(principals).not.toContain('DriftlessReconcilerRole');
    expect(principals).not.toContain('DriftlessApiRole');
    expect(JSON.stringify(template.toJSON())).not.toContain('AmazonEKSClusterAdminPolicy');
  });

  test('the reconciler and the API may assume exactly the project roles, and still describe the cluster', () => {
    const { template } = two;
    for (const prefix of ['DriftlessReconcilerRole', 'DriftlessApiRole']) {
      const statements = statementsOf(template, prefix);
      const sts = statements.filter((s) => actions(s).some((a) => a.startsWith('sts:')));
      expect(sts).toHaveLength(1);
      expect(actions(sts[0]!).sort()).toEqual(['sts:AssumeRole', 'sts:TagSession']);
      expect(sts[0]!.Resource).toEqual([arnOf(roles['team-a']!), arnOf(roles['team-b']!)]);
      expect(statements.filter((s) => actions(s).includes('eks:DescribeCluster'))).toHaveLength(1);
    }
  });

  test('DRIFTLESS_PROJECT_ROLES tells the reconciler and the API each role, no other function', () => {
    const { template } = two;
    for (const prefix of ['DriftlessReconcilerFunction', 'DriftlessApiFunction']) {
      const value = environmentOf(template, prefix).DRIFTLESS_PROJECT_ROLES;
      expect(JSON.parse(joined(value))).toEqual({
        'team-a': `<${roles['team-a']}.Arn>`,
        'team-b': `<${roles['team-b']}.Arn>`,
      });
    }
    for (const prefix of ['DriftlessSchedulerFunction', 'DriftlessWebhookFunction'])
      expect(environmentOf(template, prefix).DRIFTLESS_PROJECT_ROLES).toBeUndefined();
  });

  test('cdk-nag AwsSolutions: no findings with projects', () => {
    expect(nagViolations(two.app)).toEqual([]);
  });

  test('without projects nothing changes: Driftless keeps its own entries and no project variable', () => {
    const { template } = synth(() => ({ clusters: [{ cluster: { clusterName: 'prod' } }] }));
    const entries = accessEntries(template);
    expect(entries.map((e) => joined(e.PrincipalArn)).sort()).toEqual([
      `<${logicalId(template, 'AWS::IAM::Role', 'DriftlessApiRole')}.Arn>`,
      `<${logicalId(template, 'AWS::IAM::Role', 'DriftlessReconcilerRole')}.Arn>`,
    ]);
    expect(environmentOf(template, 'DriftlessReconcilerFunction').DRIFTLESS_PROJECT_ROLES).toBe(
      undefined,
    );
    const sts = statementsOf(template, 'DriftlessReconcilerRole').flatMap(actions);
    expect(sts).not.toContain('sts:TagSession');
  });

  test('clusterAdmin gives cluster scope; kubernetesGroups gives groups without a policy', () => {
    const { template } = synth(() => ({
      clusters: [{ cluster: { clusterName: 'prod' } }],
      projects: [
        { name: 'platform', namespaces: [], clusterAdmin: true },
        { name: 'team-c', namespaces: [], kubernetesGroups: ['team-c-deployers'] },
        { name: 'team-d', namespaces: ['d'], accessPolicy: 'AmazonEKSAdminPolicy' },
      ],
    }));
    const entries = accessEntries(template);
    const roleOf = (name: string) =>
      arnOf(logicalId(template, 'AWS::IAM::Role', `DriftlessProjects${name.replace('-', '')}Role`));
    expect(entries).toContainEqual({
      ClusterName: 'prod',
      PrincipalArn: roleOf('platform'),
      Type: 'STANDARD',
      AccessPolicies: [
        { PolicyArn: policyArn('AmazonEKSClusterAdminPolicy'), AccessScope: { Type: 'cluster' } },
      ],
    });
    expect(entries).toContainEqual({
      ClusterName: 'prod',
      PrincipalArn: roleOf('team-c'),
      Type: 'STANDARD',
      KubernetesGroups: ['team-c-deployers'],
    });
    expect(entries).toContainEqual({
      ClusterName: 'prod',
      PrincipalArn: roleOf('team-d'),
      Type: 'STANDARD',
      AccessPolicies: [
        {
          PolicyArn: policyArn('AmazonEKSAdminPolicy'),
          AccessScope: { Type: 'namespace', Namespaces: ['d'] },
        },
      ],
    });
  });

  test('a project limited to some clusters gets entries on those only', () => {
    const { template } = synth(() => ({
      clusters: [{ cluster: { clusterName: 'prod' } }, { cluster: { clusterName: 'staging' } }],
      projects: [
        { name: 'team-a', namespaces: ['a'], clusters: ['staging'] },
        { name: 'team-b', namespaces: ['b'] },
      ],
    }));
    const ids = projectRoleIds(template);
    const where = (id: string) =>
      accessEntries(template)
        .filter((e) => JSON.stringify(e.PrincipalArn) === JSON.stringify(arnOf(id)))
        .map((e) => e.ClusterName)
        .sort();
    expect(where(ids['team-a']!)).toEqual(['staging']);
    expect(where(ids['team-b']!)).toEqual(['prod', 'staging']);
  });

  test.each<[string, Partial<DriftlessProject>, RegExp]>([
    ['an upper-case name', { name: 'Team_A' }, /project name "Team_A" must be a DNS label/],
    ['a name too long', { name: 'a'.repeat(64) }, /must be a DNS label/],
    ['a bad namespace', { namespaces: ['a/b'] }, /namespace "a\/b" must be a namespace name/],
    ['no namespaces', { namespaces: [] }, /namespaces is empty/],
    [
      'the cluster admin policy by name',
      { accessPolicy: 'AmazonEKSClusterAdminPolicy' },
      /granted only by clusterAdmin/,
    ],
    ['a system: group', { kubernetesGroups: ['system:masters'] }, /system:masters.*refused/],
    [
      'groups and a policy',
      { kubernetesGroups: ['g'], accessPolicy: 'AmazonEKSViewPolicy' },
      /kubernetesGroups replaces the access policy/,
    ],
    [
      'an unknown cluster',
      { clusters: ['qa'] },
      /cluster qa is not one of the construct's clusters/,
    ],
  ])('refuses %s at synth', (_, change, message) => {
    const project = { name: 'team-a', namespaces: ['a-*'], ...change };
    expect(() =>
      synth(() => ({ clusters: [{ cluster: { clusterName: 'prod' } }], projects: [project] })),
    ).toThrow(message);
  });

  test('refuses a project declared twice', () => {
    expect(() => synth(() => ({ projects: [TEAMS[0]!, TEAMS[0]!] }))).toThrow(/declared twice/);
  });
});

describe('management API by project', () => {
  test('every /projects/{project}/apps route exists, IAM-authorized', () => {
    const { template } = synth();
    const auth = new Map(
      Object.values(resourcesOf(template, 'AWS::ApiGatewayV2::Route')).map((r) => [
        r.Properties.RouteKey as string,
        r.Properties.AuthorizationType,
      ]),
    );
    const app = '/projects/{project}/apps/{name}';
    const projectRoutes = [
      'GET /projects/{project}/apps',
      `GET ${app}`,
      `GET ${app}/diff`,
      `POST ${app}/sync`,
      `GET ${app}/history`,
      `POST ${app}/rollback`,
      `POST ${app}/suspend`,
      `POST ${app}/resume`,
    ];
    for (const key of projectRoutes) expect(auth.get(key), key).toBe('AWS_IAM');
    // The /apps family is still there, and nothing else was added.
    for (const key of projectRoutes) {
      const plain = key.replace('/projects/{project}', '');
      expect(auth.get(plain), plain).toBe('AWS_IAM');
    }
    expect(API_ROUTES).toHaveLength(20);
  });
});
