import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { runApplication } from '../../shared/app-run/run-application.ts';
import type { AppRunInput } from '../../shared/app-run/types.ts';
import { Application, type ApplicationInput } from '../../shared/config/application.ts';
import { reconcile, type ReconcileOptions } from '../../shared/engine/reconcile.ts';
import { engineSettings } from '../../shared/engine/settings.ts';
import type { AuthCallback } from '../../shared/source/index.ts';
import { forgetIndexes } from '../../shared/source/chart/index-file.ts';
import { createStateTable, type StateTable } from '../../shared/state/client.ts';
import { readApp } from '../../shared/state/head.ts';
import { listHistory } from '../../shared/state/history.ts';
import { cluster, uniqueName } from '../harness/context.ts';
import { localDynamoClient } from '../harness/dynamodb.ts';
import { chartFiles, craftArchive, startHelmRepo, type HelmRepo } from '../harness/helm-repo.ts';
import { toolPath } from '../harness/tools.ts';
import { configMapField, kubectl } from '../helpers/engine.ts';

const clusterA = () => cluster('cluster-a');

/** A port nothing listens on (fetch refuses "bad ports" such as 1 before connecting). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('charts from a Helm repository (a real repository made with helm package and helm repo index)', () => {
  let repo: HelmRepo;
  let cacheDir: string;
  let table: StateTable;
  beforeAll(async () => {
    repo = await startHelmRepo();
    cacheDir = mkdtempSync(join(tmpdir(), 'driftless-charts-'));
    const { endpoint, tableName } = inject('dynamo');
    table = createStateTable({ tableName, client: localDynamoClient(endpoint) });
  });
  afterAll(async () => {
    await repo.stop();
    table.client.destroy();
    rmSync(cacheDir, { recursive: true, force: true });
  });
  // The process keeps an index for a minute (one lookup per tick); a test publishing a version asks again.
  beforeEach(() => forgetIndexes());

  function chartApp(
    chart: string,
    targetRevision: string,
    extra: Partial<ApplicationInput['spec']> = {},
    url = repo.url,
  ) {
    const name = uniqueName('chart');
    const app = Application.parse({
      apiVersion: 'driftless.dev/v1alpha1',
      kind: 'Application',
      metadata: { name },
      spec: {
        source: { repoURL: url, chart, targetRevision },
        destination: { cluster: 'cluster-a', namespace: name },
        syncPolicy: { automated: { prune: true }, syncOptions: ['CreateNamespace=true'] },
        healthTimeout: '20s',
        ...extra,
      },
    });
    return { name, app, configMap: `${name}-${chart}` };
  }

  const settings = (auth?: AuthCallback) =>
    engineSettings({
      source: { cacheDir, ...(auth ? { auth } : {}) },
      render: { binaries: { helm: toolPath('helm') } },
    });
  const options = (auth?: AuthCallback): ReconcileOptions => {
    const c = clusterA();
    return {
      cluster: {
        name: c.name,
        connection: { server: c.server, ca: readFileSync(c.caFile), token: c.adminToken },
      },
      settings: settings(auth),
    };
  };
  const runInput = (app: Application, extra: Partial<AppRunInput> = {}): AppRunInput => {
    const c = clusterA();
    return {
      table,
      app,
      connect: async () => ({ server: c.server, ca: readFileSync(c.caFile), token: c.adminToken }),
      owner: uniqueName('owner'),
      trigger: { kind: 'schedule', by: 'test' },
      mode: 'auto',
      settings: settings(),
      ...extra,
    };
  };

  it('installs ^1.0, picks up 1.1.0 once published, records the version, rolls back to 1.0.0, and downloads an unchanged version once', async () => {
    const chart = uniqueName('web');
    await repo.publish(chartFiles(chart, '1.0.0'));
    await repo.publish(chartFiles(chart, '2.0.0'));
    const { name, app, configMap } = chartApp(chart, '^1.0');
    const first = await runApplication(runInput(app));
    expect(first).toMatchObject({
      status: 'done',
      result: { status: 'Synced', revision: '1.0.0' },
    });
    expect(await configMapField(clusterA(), name, configMap, 'chartVersion')).toBe('1.0.0');
    expect((await readApp(table, name))?.state).toMatchObject({
      syncedRevision: '1.0.0',
      desiredRevision: '1.0.0',
    });

    const downloads = () =>
      repo.requests.filter((r) => r.kind === 'chart' && r.status === 200).length;
    const before = downloads();
    forgetIndexes();
    expect(await runApplication(runInput(app))).toMatchObject({
      status: 'skipped',
      reason: 'unchanged',
      revision: '1.0.0',
    });
    const drift = await reconcile(app, { ...options(), request: { dryRun: true } });
    expect(drift.status).toBe('Synced');
    expect(downloads()).toBe(before);

    await repo.publish(chartFiles(chart, '1.1.0'));
    forgetIndexes();
    const second = await runApplication(runInput(app));
    expect(second).toMatchObject({
      status: 'done',
      result: { status: 'Synced', revision: '1.1.0' },
    });
    expect(await configMapField(clusterA(), name, configMap, 'chartVersion')).toBe('1.1.0');
    const history = await listHistory(table, name);
    expect(history.map((h) => h.revision)).toEqual(['1.1.0', '1.0.0']);

    const back = await runApplication(
      runInput(app, {
        mode: 'sync',
        trigger: { kind: 'rollback', by: 'oncall', rollbackOf: history[1]!.seq },
        request: { revision: '1.0.0' },
      }),
    );
    expect(back).toMatchObject({ status: 'done', result: { status: 'Synced', revision: '1.0.0' } });
    expect(await configMapField(clusterA(), name, configMap, 'chartVersion')).toBe('1.0.0');
    // Held at the rolled-back version while the index still offers 1.1.0.
    forgetIndexes();
    expect(await runApplication(runInput(app))).toMatchObject({
      status: 'skipped',
      revision: '1.0.0',
    });
  });

  it('refuses each bad input with a clear error naming application source and version, and applies nothing', async () => {
    const chart = uniqueName('bad');
    const good = await repo.publish(chartFiles(chart, '1.0.0'));
    const { name, app, configMap } = chartApp(chart, '1.0.0');
    expect((await reconcile(app, options())).status).toBe('Synced');
    const failing = async (a: Application, pattern: RegExp, auth?: AuthCallback) => {
      forgetIndexes();
      const result = await reconcile(a, { ...options(auth), request: {} });
      expect(result.status).toBe('Failed');
      expect(result.phase).toBe('source');
      expect(result.error).toMatch(pattern);
      // The previous version is left running.
      expect(await configMapField(clusterA(), name, configMap, 'chartVersion')).toBe('1.0.0');
      return result.error!;
    };
    const withName = (chartName: string, range: string) =>
      ({
        ...app,
        spec: {
          ...app.spec,
          source: { ...app.spec.source, chart: chartName, targetRevision: range },
        },
      }) as Application;
    await failing(
      withName('no-such-chart', '*'),
      /chart no-such-chart \* from http:\/\/127\.0\.0\.1:\d+: chart no-such-chart is not in the repository's index/,
    );
    await failing(
      withName(chart, '^9'),
      new RegExp(
        `chart ${chart} \\^9 from .*: no version of chart ${chart} matches \\^9 \\(newest: 1\\.0\\.0\\)`,
      ),
    );

    // Other bytes than the index says.
    await repo.publish(chartFiles(chart, '1.0.1'));
    const tampered = (await repo.publish(chartFiles(chart, '1.0.2'))).file;
    repo.tamper(
      tampered,
      Buffer.concat([readFileSync(join(repo.root, good.file)), Buffer.from('x')]),
    );
    await failing(
      withName(chart, '1.0.2'),
      /has sha256 [0-9a-f]{64}, the index says [0-9a-f]{64}; refused/,
    );

    // Larger than the application allows.
    const small = {
      ...withName(chart, '1.0.1'),
      spec: {
        ...app.spec,
        source: { ...app.spec.source, targetRevision: '1.0.1' },
        limits: { ...app.spec.limits, maxFetchBytes: 64 },
      },
    } as Application;
    await failing(small, /larger than the limit of 64 bytes \(spec\.limits\.maxFetchBytes\)/);

    // The repository failing, then gone.
    repo.failWith(503);
    await failing(withName(chart, '1.0.1'), /index\.yaml: HTTP 503/);
    repo.failWith(undefined);
    const closed = await closedPort();
    const gone = {
      ...app,
      spec: { ...app.spec, source: { ...app.spec.source, repoURL: `http://127.0.0.1:${closed}` } },
    } as Application;
    await failing(gone, new RegExp(`:${closed}: repository unreachable \\(ECONNREFUSED\\)`));
  });

  it('sends credentials to the repository only, never to a chart URL on another host', async () => {
    const locked = await startHelmRepo({ basicAuth: { username: 'ci', password: 's3cret-token' } });
    const other = await startHelmRepo();
    try {
      const chart = uniqueName('private');
      await locked.publish(chartFiles(chart, '1.0.0'));
      const { app } = chartApp(chart, '1.0.0', {}, locked.url);
      forgetIndexes();
      const anonymous = await reconcile(app, options());
      expect(anonymous.error).toMatch(/HTTP 401: the repository refused anonymous access/);
      expect(anonymous.error).not.toContain('s3cret');
      const auth: AuthCallback = (url) =>
        url.startsWith(locked.url) ? { username: 'ci', password: 's3cret-token' } : undefined;
      forgetIndexes();
      const wrong = await reconcile(
        app,
        options(() => ({ username: 'ci', password: 'wrong' })),
      );
      expect(wrong.error).toMatch(/HTTP 401: the repository refused the credentials/);
      expect(wrong.error).not.toContain('wrong');
      forgetIndexes();
      expect((await reconcile(app, options(auth))).status).toBe('Synced');

      // The index points the next version at another server: it gets no Authorization header,
      // even from a callback that would hand credentials to anything.
      const moved = await other.publish(chartFiles(chart, '1.1.0'));
      locked.editIndex((index) => {
        const entries = index.entries[chart] as {
          version: string;
          urls: string[];
          digest: string;
        }[];
        entries.unshift({
          ...entries[0]!,
          version: '1.1.0',
          urls: [`${other.url}/${moved.file}`],
          digest: moved.digest,
        });
      });
      forgetIndexes();
      const promiscuous: AuthCallback = () => ({ username: 'ci', password: 's3cret-token' });
      const result = await reconcile(
        {
          ...app,
          spec: { ...app.spec, source: { ...app.spec.source, targetRevision: '1.1.0' } },
        } as Application,
        options(promiscuous),
      );
      expect(result.status).toBe('Synced');
      const fetched = other.requests.filter((r) => r.kind === 'chart');
      expect(fetched.length).toBeGreaterThan(0);
      expect(fetched.every((r) => r.authorization === undefined)).toBe(true);
    } finally {
      await locked.stop();
      await other.stop();
    }
  });

  it('renders a hostile archive (a link to /etc/passwd, a ../ path) without reading outside it', async () => {
    const chart = uniqueName('hostile');
    const template = [
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata: { name: probe }',
      'data:',
      '  linked: {{ .Files.Get "passwd" | quote }}',
      '  escaped: {{ .Files.Get "escape.txt" | quote }}',
      '',
    ].join('\n');
    const archive = craftArchive([
      { name: `${chart}/Chart.yaml`, body: `apiVersion: v2\nname: ${chart}\nversion: 1.0.0\n` },
      { name: `${chart}/templates/probe.yaml`, body: template },
      { name: `${chart}/passwd`, type: 'symlink', linkTarget: '/etc/passwd' },
      { name: '../escape.txt', body: 'outside' },
    ]);
    await repo.publishRaw(`${chart}-1.0.0.tgz`, archive, { name: chart, version: '1.0.0' });
    const { name, app } = chartApp(chart, '1.0.0');
    const result = await reconcile(app, options());
    expect(result.error).toBeUndefined();
    const data = JSON.parse(
      await kubectl(clusterA(), 'get', 'configmap', 'probe', '-n', name, '-o', 'jsonpath={.data}'),
    ) as Record<string, string>;
    expect(data.linked ?? '').not.toContain('root:');
  });
});
