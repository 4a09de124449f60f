import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { handleApi, type ApiResponse } from '../../shared/api/handle-api.ts';
import { Application } from '../../shared/config/application.ts';
import { Cluster } from '../../shared/config/cluster.ts';
import { BUILT_IN_DEFAULT_PROJECT, Project } from '../../shared/config/project.ts';
import type { ReconcileMessageInput } from '../../shared/queue/message.ts';
import { createStateTable, type StateTable } from '../../shared/state/client.ts';
import { ensureTable } from '../../shared/state/ensure-table.ts';
import { readApp } from '../../shared/state/head.ts';
import { putRegistryEntry } from '../../shared/state/registry.ts';
import type { SyncResult } from '../../shared/sync/result.ts';
import { uniqueName } from '../harness/context.ts';
import { localDynamoClient } from '../harness/dynamodb.ts';

/**
 * The API under `/projects/PROJECT/apps`: only that project's applications,
 * and another project's application answers exactly as an unknown one.
 */
describe('API by project', () => {
  let table: StateTable;
  const queued: ReconcileMessageInput[] = [];
  const diffs: string[] = [];

  const application = (name: string, project?: string) =>
    Application.parse({
      apiVersion: 'driftless.dev/v1alpha1',
      kind: 'Application',
      metadata: { name },
      spec: {
        ...(project ? { project } : {}),
        source: { repoURL: 'https://git.example.com/apps.git', targetRevision: 'main', path: name },
        destination: { cluster: 'prod', namespace: name },
        syncPolicy: {},
      },
    });
  const prod = Cluster.parse({
    apiVersion: 'driftless.dev/v1alpha1',
    kind: 'Cluster',
    metadata: { name: 'prod' },
    spec: { eks: { name: 'prod', region: 'eu-west-1' } },
  });

  const api = (method: string, path: string, body?: unknown): Promise<ApiResponse> =>
    handleApi(
      {
        method,
        path,
        ...(body ? { body: JSON.stringify(body) } : {}),
        caller: 'arn:aws:iam::123456789012:role/team-a',
        requestId: uniqueName('req'),
      },
      {
        table,
        queue: {
          send: async (list) =>
            void queued.push(...list.map((m) => m.message as ReconcileMessageInput)),
        },
        diff: async ({ app, project }) => {
          diffs.push(`${app.metadata.name}@${project.metadata.name}`);
          return { status: 'Synced' } as SyncResult;
        },
        liveObjects: () => Promise.reject(new Error('this test reads no live objects')),
      },
    );
  const names = (response: ApiResponse) =>
    (response.body as { apps: { name: string }[] }).apps.map((a) => a.name).sort();

  beforeAll(async () => {
    // A table of its own: the list routes read every registered application.
    const client = localDynamoClient(inject('dynamo').endpoint);
    const tableName = uniqueName('api-projects');
    await ensureTable(client, tableName);
    table = createStateTable({ tableName, client });
    for (const [name, project] of [
      ['web-a', 'team-a'],
      ['jobs-a', 'team-a'],
      ['web-b', 'team-b'],
      ['legacy', undefined],
    ] as const) {
      await putRegistryEntry(table, {
        name,
        file: `apps/${name}.yaml`,
        app: application(name, project),
        cluster: prod,
        project: project
          ? Project.parse({
              apiVersion: 'driftless.dev/v1alpha1',
              kind: 'Project',
              metadata: { name: project },
              spec: { sourceRepos: ['*'], destinations: [{ cluster: '*', namespace: '*' }] },
            })
          : BUILT_IN_DEFAULT_PROJECT,
      });
    }
    await putRegistryEntry(table, {
      name: 'broken',
      file: 'apps/broken.yaml',
      error: 'apps/broken.yaml: spec.source: required',
    });
  });
  afterAll(() => table.client.destroy());

  it('lists only the project’s applications under its path, every one under /apps', async () => {
    expect(names(await api('GET', '/projects/team-a/apps'))).toEqual(['jobs-a', 'web-a']);
    expect(names(await api('GET', '/projects/team-b/apps/'))).toEqual(['web-b']);
    expect(names(await api('GET', '/projects/default/apps'))).toEqual(['legacy']);
    expect(names(await api('GET', '/projects/nobody/apps'))).toEqual([]);
    expect(names(await api('GET', '/apps'))).toEqual([
      'broken',
      'jobs-a',
      'legacy',
      'web-a',
      'web-b',
    ]);
  });

  it('puts the project in the summary, under both route families', async () => {
    const listed = (await api('GET', '/apps')).body as { apps: Record<string, unknown>[] };
    const project = Object.fromEntries(listed.apps.map((a) => [a.name, a.project]));
    expect(project).toEqual({
      'web-a': 'team-a',
      'jobs-a': 'team-a',
      'web-b': 'team-b',
      legacy: 'default',
      broken: undefined,
    });
    expect(await api('GET', '/projects/team-a/apps/web-a')).toMatchObject({
      statusCode: 200,
      body: { name: 'web-a', project: 'team-a' },
    });
    expect((await api('GET', '/apps/web-b')).body).toMatchObject({ project: 'team-b' });
  });

  it('serves its own application on every route', async () => {
    queued.length = 0;
    const base = '/projects/team-a/apps/web-a';
    expect((await api('GET', `${base}/diff`)).statusCode).toBe(200);
    expect(diffs).toContain('web-a@team-a');
    expect((await api('GET', `${base}/history`)).body).toEqual({ app: 'web-a', history: [] });
    expect((await api('POST', `${base}/sync`)).statusCode).toBe(202);
    expect(queued).toMatchObject([{ app: 'web-a', mode: 'sync' }]);
    expect(await api('POST', `${base}/suspend`)).toEqual({
      statusCode: 200,
      body: { app: 'web-a', suspended: true },
    });
    expect((await api('POST', `${base}/resume`)).body).toEqual({ app: 'web-a', suspended: false });
  });

  it('answers 404 for another project’s application exactly as for an unknown one, and queues nothing', async () => {
    queued.length = 0;
    diffs.length = 0;
    const routes: [string, string, unknown?][] = [
      ['GET', ''],
      ['GET', '/diff'],
      ['GET', '/history'],
      ['POST', '/sync'],
      ['POST', '/rollback', { seq: 1 }],
      ['POST', '/suspend', { reason: 'probe' }],
      ['POST', '/resume'],
    ];
    for (const [method, action, body] of routes) {
      for (const name of ['web-b', 'legacy', 'broken']) {
        const other = await api(method, `/projects/team-a/apps/${name}${action}`, body);
        const unknown = await api(method, `/projects/team-a/apps/no-such-${name}${action}`, body);
        expect(other, `${method} ${name}${action}`).toEqual({
          statusCode: 404,
          body: { message: `application ${name} is not registered` },
        });
        expect(unknown.statusCode).toBe(404);
        expect(unknown.body).toEqual({
          message: `application no-such-${name} is not registered`,
        });
      }
    }
    expect(queued).toEqual([]);
    expect(diffs).toEqual([]);
    // Nor did suspend or resume touch them: no state was written for any.
    for (const name of ['web-b', 'legacy', 'broken'])
      expect(await readApp(table, name)).toBe(undefined);
  });

  it('refuses paths that are neither family', async () => {
    for (const path of ['/projects', '/projects/team-a', '/projects//apps', '/projects/team-a/x']) {
      expect((await api('GET', path)).statusCode, path).toBe(404);
    }
    expect((await api('POST', '/projects/team-a/apps')).statusCode).toBe(404);
    expect((await api('GET', '/projects/team-a/apps/web-a/sync/extra')).statusCode).toBe(404);
  });
});
