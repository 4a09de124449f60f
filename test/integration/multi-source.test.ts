import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { runApplication } from '../../shared/app-run/run-application.ts';
import type { AppRunInput } from '../../shared/app-run/types.ts';
import { Application, type ApplicationInput } from '../../shared/config/application.ts';
import { engineSettings } from '../../shared/engine/settings.ts';
import { forgetIndexes } from '../../shared/source/chart/index-file.ts';
import { createStateTable, type StateTable } from '../../shared/state/client.ts';
import { ensureTable } from '../../shared/state/ensure-table.ts';
import { listHistory } from '../../shared/state/history.ts';
import { putRegistryEntry } from '../../shared/state/registry.ts';
import { BUILT_IN_DEFAULT_PROJECT } from '../../shared/config/project.ts';
import { webhookDeps } from '../../shared/runtime/webhook-deps.ts';
import { affectedApplications } from '../../shared/webhooks/route.ts';
import { cluster, uniqueName } from '../harness/context.ts';
import { localDynamoClient } from '../harness/dynamodb.ts';
import { commitTree } from '../harness/git-fixtures.ts';
import { startGitServer, type GitServer } from '../harness/git-server.ts';
import { chartFiles, startHelmRepo, type HelmRepo } from '../harness/helm-repo.ts';
import { toolPath } from '../harness/tools.ts';
import { configMapField } from '../helpers/engine.ts';
import { configMapYaml } from '../helpers/manifests.ts';

const clusterA = () => cluster('cluster-a');

describe('several sources per application (a chart from a Helm repository, values and manifests from Git)', () => {
  let git: GitServer;
  let repo: HelmRepo;
  let cacheDir: string;
  let table: StateTable;
  beforeAll(async () => {
    git = await startGitServer();
    repo = await startHelmRepo();
    cacheDir = mkdtempSync(join(tmpdir(), 'driftless-multi-'));
    const { endpoint, tableName } = inject('dynamo');
    table = createStateTable({ tableName, client: localDynamoClient(endpoint) });
  });
  afterAll(async () => {
    await git.stop();
    await repo.stop();
    table.client.destroy();
    rmSync(cacheDir, { recursive: true, force: true });
  });
  beforeEach(() => forgetIndexes());

  function setup(sources: ApplicationInput['spec']['sources']) {
    const name = uniqueName('multi');
    const app = Application.parse({
      apiVersion: 'driftless.dev/v1alpha1',
      kind: 'Application',
      metadata: { name },
      spec: {
        sources,
        destination: { cluster: 'cluster-a', namespace: name },
        syncPolicy: { automated: { prune: true }, syncOptions: ['CreateNamespace=true'] },
        healthTimeout: '20s',
      },
    });
    const c = clusterA();
    const input = (extra: Partial<AppRunInput> = {}): AppRunInput => ({
      table,
      app,
      connect: async () => ({ server: c.server, ca: readFileSync(c.caFile), token: c.adminToken }),
      owner: uniqueName('owner'),
      trigger: { kind: 'schedule', by: 'test' },
      mode: 'auto',
      settings: engineSettings({
        source: { cacheDir },
        render: { binaries: { helm: toolPath('helm') } },
      }),
      ...extra,
    });
    return { name, app, input };
  }

  it('applies the chart with the Git values and the Git manifests, records both revisions, and follows a values-only push', async () => {
    const chart = uniqueName('web');
    await repo.publish(chartFiles(chart, '1.0.0'));
    const gitName = uniqueName('values');
    const url = git.createRepo(gitName);
    const c1 = commitTree(git.repoPath(gitName), 'main', {
      'values/prod.yaml': 'greeting: from-git\n',
      'extra/cm.yaml': configMapYaml('extra', 'one'),
    });
    const { name, app, input } = setup([
      {
        repoURL: repo.url,
        chart,
        targetRevision: '^1.0',
        render: { helm: { valueFiles: ['$values/values/prod.yaml'] } },
      },
      { repoURL: url, targetRevision: 'main', ref: 'values' },
      { repoURL: url, targetRevision: 'main', path: 'extra' },
    ]);
    const first = await runApplication(input());
    expect(first).toMatchObject({
      status: 'done',
      result: { status: 'Synced', revision: `1.0.0,${c1},${c1}` },
    });
    expect(await configMapField(clusterA(), name, `${name}-${chart}`, 'greeting')).toBe('from-git');
    expect(await configMapField(clusterA(), name, 'extra', 'value')).toBe('one');

    // The webhook routes a push that changes only the values file to the application.
    const own = createStateTable({ tableName: uniqueName('multi-routing'), client: table.client });
    await ensureTable(own.client, own.tableName);
    await putRegistryEntry(own, {
      name,
      app,
      file: 'apps/multi.yaml',
      project: BUILT_IN_DEFAULT_PROJECT,
    });
    const candidates = await webhookDeps({
      table: own,
      queue: { send: async () => {} },
      secret: async () => undefined,
    }).applications();
    expect(
      affectedApplications(
        {
          provider: 'github',
          deliveryId: 'd1',
          repoURLs: [url],
          ref: { type: 'branch', name: 'main' },
          changedPaths: ['values/prod.yaml'],
        },
        candidates,
      ),
    ).toEqual([name]);

    const c2 = commitTree(git.repoPath(gitName), 'main', {
      'values/prod.yaml': 'greeting: changed\n',
      'extra/cm.yaml': configMapYaml('extra', 'one'),
    });
    const second = await runApplication(input({ trigger: { kind: 'webhook', by: 'github' } }));
    expect(second).toMatchObject({
      status: 'done',
      result: { status: 'Synced', revision: `1.0.0,${c2},${c2}` },
    });
    expect(await configMapField(clusterA(), name, `${name}-${chart}`, 'greeting')).toBe('changed');
    expect((await listHistory(table, name)).map((h) => h.revision)).toEqual([
      `1.0.0,${c2},${c2}`,
      `1.0.0,${c1},${c1}`,
    ]);

    // A rollback names every source's revision.
    const back = await runApplication(
      input({
        mode: 'sync',
        trigger: { kind: 'rollback', by: 'oncall' },
        request: { revision: `1.0.0,${c1},${c1}` },
      }),
    );
    expect(back).toMatchObject({
      status: 'done',
      result: { status: 'Synced', revision: `1.0.0,${c1},${c1}` },
    });
    expect(await configMapField(clusterA(), name, `${name}-${chart}`, 'greeting')).toBe('from-git');
  });

  it('refuses a value file outside its ref source, an unknown ref, and names the failing source', async () => {
    const chart = uniqueName('esc');
    await repo.publish(chartFiles(chart, '1.0.0'));
    const gitName = uniqueName('esc-values');
    const url = git.createRepo(gitName);
    commitTree(git.repoPath(gitName), 'main', { 'prod.yaml': 'greeting: x\n' });
    expect(() =>
      Application.parse({
        apiVersion: 'driftless.dev/v1alpha1',
        kind: 'Application',
        metadata: { name: 'bad' },
        spec: {
          sources: [
            { repoURL: repo.url, chart, render: { helm: { valueFiles: ['$nope/prod.yaml'] } } },
            { repoURL: url, ref: 'values' },
          ],
          destination: { cluster: 'cluster-a', namespace: 'x' },
        },
      }),
    ).toThrow(/\$nope names no source's ref/);
    expect(() =>
      setup([
        {
          repoURL: repo.url,
          chart,
          targetRevision: '1.0.0',
          render: { helm: { valueFiles: ['$values/../../../../etc/passwd'] } },
        },
        { repoURL: url, targetRevision: 'main', ref: 'values' },
      ]),
    ).toThrow(/value files must be paths inside the application directory/);
    // A link in the values repository pointing out of it is refused when the chart would read it.
    commitTree(git.repoPath(gitName), 'main', {
      'prod.yaml': 'greeting: x\n',
      'leak.yaml': { link: '/etc/passwd' },
    });
    const linked = setup([
      {
        repoURL: repo.url,
        chart,
        targetRevision: '1.0.0',
        render: { helm: { valueFiles: ['$values/leak.yaml'] } },
      },
      { repoURL: url, targetRevision: 'main', ref: 'values' },
    ]);
    const result = await runApplication(linked.input({ mode: 'sync' }));
    expect(result).toMatchObject({ status: 'done', result: { status: 'Failed', phase: 'render' } });
    expect(JSON.stringify(result)).toMatch(
      /render of sources\[0\]: .*value file \$values\/leak\.yaml/,
    );
    const gone = setup([
      { repoURL: repo.url, chart: 'no-such-chart', targetRevision: '1.0.0' },
      { repoURL: url, targetRevision: 'main', path: '.' },
    ]);
    const missing = await runApplication(gone.input({ mode: 'sync' }));
    expect(JSON.stringify(missing)).toMatch(/chart no-such-chart/);
  });
});
