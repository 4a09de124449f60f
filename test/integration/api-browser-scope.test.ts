import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { requestPrincipal, type BrowserAccess } from '../../shared/api/browser-principal.ts';
import { handleApi, type ApiResponse } from '../../shared/api/handle-api.ts';
import { Application } from '../../shared/config/application.ts';
import { Cluster } from '../../shared/config/cluster.ts';
import { BUILT_IN_DEFAULT_PROJECT, Project } from '../../shared/config/project.ts';
import type { ReconcileMessageInput } from '../../shared/queue/message.ts';
import { createStateTable, type StateTable } from '../../shared/state/client.ts';
import { ensureTable } from '../../shared/state/ensure-table.ts';
import { putRegistryEntry } from '../../shared/state/registry.ts';
import type { SyncResult } from '../../shared/sync/result.ts';
import { uniqueName } from '../harness/context.ts';
import { localDynamoClient } from '../harness/dynamodb.ts';

/**
 * A browser sign-in is served only its groups' projects, as functions/api.ts
 * wires it: the JWT authorizer's claims → requestPrincipal → allowedProjects.
 * Another project's application answers 404 like an unknown one, on every
 * route and under both route families.
 */
describe('API for a browser sign-in', () => {
  let table: StateTable;
  const queued: ReconcileMessageInput[] = [];
  const access: BrowserAccess = {
    groupsClaim: 'cognito:groups',
    adminGroups: ['driftless-admins'],
    projectsByGroup: { 'team-a-devs': ['team-a'] },
  };

  const project = (name: string) =>
    Project.parse({
      apiVersion: 'driftless.dev/v1alpha1',
      kind: 'Project',
      metadata: { name },
      spec: { sourceRepos: ['*'], destinations: [{ cluster: '*', namespace: '*' }] },
    });
  const prod = Cluster.parse({
    apiVersion: 'driftless.dev/v1alpha1',
    kind: 'Cluster',
    metadata: { name: 'prod' },
    spec: { eks: { name: 'prod', region: 'eu-west-1' } },
  });

  /** A request as the browser API delivers it: API Gateway's JWT authorizer with the token's claims. */
  const api = (
    groups: unknown,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<ApiResponse> => {
    const { caller, allowedProjects } = requestPrincipal(
      { jwt: { claims: { sub: 'ann', 'cognito:groups': groups } } },
      access,
    );
    return handleApi(
      {
        method,
        path,
        ...(body ? { body: JSON.stringify(body) } : {}),
        caller,
        requestId: uniqueName('req'),
      },
      {
        table,
        queue: {
          send: async (list) =>
            void queued.push(...list.map((m) => m.message as ReconcileMessageInput)),
        },
        diff: async () => ({ status: 'Synced' }) as SyncResult,
        liveObjects: async () => [],
        ...(allowedProjects ? { allowedProjects } : {}),
      },
    );
  };
  const names = (response: ApiResponse) =>
    (response.body as { apps: { name: string }[] }).apps.map((a) => a.name).sort();

  beforeAll(async () => {
    const client = localDynamoClient(inject('dynamo').endpoint);
    const tableName = uniqueName('api-browser');
    await ensureTable(client, tableName);
    table = createStateTable({ tableName, client });
    for (const [name, owner] of [
      ['web-a', 'team-a'],
      ['web-b', 'team-b'],
      ['legacy', undefined],
    ] as const) {
      await putRegistryEntry(table, {
        name,
        file: `apps/${name}.yaml`,
        app: Application.parse({
          apiVersion: 'driftless.dev/v1alpha1',
          kind: 'Application',
          metadata: { name },
          spec: {
            ...(owner ? { project: owner } : {}),
            source: {
              repoURL: 'https://git.example.com/a.git',
              targetRevision: 'main',
              path: name,
            },
            destination: { cluster: 'prod', namespace: name },
            syncPolicy: {},
          },
        }),
        cluster: prod,
        project: owner ? project(owner) : BUILT_IN_DEFAULT_PROJECT,
      });
    }
    await putRegistryEntry(table, { name: 'broken', file: 'apps/broken.yaml', error: 'bad' });
  });
  afterAll(() => table.client.destroy());

  it('lists only the projects of the caller’s groups, under /apps and the project paths', async () => {
    expect(names(await api('[team-a-devs]', 'GET', '/apps'))).toEqual(['web-a']);
    expect(names(await api(['team-a-devs'], 'GET', '/projects/team-a/apps'))).toEqual(['web-a']);
    expect(names(await api(['team-a-devs'], 'GET', '/projects/team-b/apps'))).toEqual([]);
    expect(names(await api(['driftless-admins'], 'GET', '/apps'))).toEqual([
      'broken',
      'legacy',
      'web-a',
      'web-b',
    ]);
  });

  it('serves nothing to a caller without a known group', async () => {
    for (const groups of [undefined, [], 'nobody', ['team-*'], '[*]'])
      expect(names(await api(groups, 'GET', '/apps')), JSON.stringify(groups)).toEqual([]);
    expect((await api(undefined, 'GET', '/apps/web-a')).statusCode).toBe(404);
  });

  it('answers 404 for another project’s application as for an unknown one, and queues nothing', async () => {
    queued.length = 0;
    expect((await api(['team-a-devs'], 'GET', '/apps/web-a')).statusCode).toBe(200);
    const routes: [string, string, unknown?][] = [
      ['GET', ''],
      ['GET', '/diff'],
      ['GET', '/history'],
      ['GET', '/tree'],
      ['POST', '/sync'],
      ['POST', '/rollback', { seq: 1 }],
      ['POST', '/suspend', { reason: 'probe' }],
    ];
    for (const [method, action, body] of routes)
      for (const name of ['web-b', 'legacy', 'broken'])
        for (const base of ['/apps', '/projects/team-b/apps', '/projects/team-a/apps'])
          expect(
            await api(['team-a-devs'], method, `${base}/${name}${action}`, body),
            `${method} ${base}/${name}${action}`,
          ).toEqual({
            statusCode: 404,
            body: { message: `application ${name} is not registered` },
          });
    expect(queued).toEqual([]);
    expect((await api(['team-a-devs'], 'POST', '/apps/web-a/sync')).statusCode).toBe(202);
    expect(queued).toMatchObject([{ app: 'web-a', mode: 'sync', trigger: { by: 'browser:ann' } }]);
  });
});
