import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runApplication } from '../../shared/app-run/run-application.ts';
import type { AppRunInput } from '../../shared/app-run/types.ts';
import { Application, type ApplicationInput } from '../../shared/config/application.ts';
import { reconcile, type ReconcileOptions } from '../../shared/engine/reconcile.ts';
import { engineSettings } from '../../shared/engine/settings.ts';
import type { AuthCallback } from '../../shared/source/index.ts';
import { createStateTable, type StateTable } from '../../shared/state/client.ts';
import { readApp } from '../../shared/state/head.ts';
import { cluster, uniqueName } from '../harness/context.ts';
import { localDynamoClient } from '../harness/dynamodb.ts';
import { chartFiles, craftArchive } from '../harness/helm-repo.ts';
import { startOciRegistry, type OciRegistry } from '../harness/oci-registry.ts';
import { toolPath } from '../harness/tools.ts';
import { configMapField } from '../helpers/engine.ts';

const clusterA = () => cluster('cluster-a');
const cm = (name: string, value: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: ${name} }\ndata: { value: "${value}" }\n`;

describe('OCI sources against a real registry (distribution v3, pushed with helm push and oras push)', () => {
  let registry: OciRegistry;
  let cacheDir: string;
  let table: StateTable;
  beforeAll(async () => {
    registry = await startOciRegistry();
    cacheDir = mkdtempSync(join(tmpdir(), 'driftless-oci-'));
    const { endpoint, tableName } = inject('dynamo');
    table = createStateTable({ tableName, client: localDynamoClient(endpoint) });
  });
  afterAll(async () => {
    await registry.stop();
    table.client.destroy();
    rmSync(cacheDir, { recursive: true, force: true });
  });

  function app(source: ApplicationInput['spec']['source']) {
    const name = uniqueName('oci');
    return {
      name,
      app: Application.parse({
        apiVersion: 'driftless.dev/v1alpha1',
        kind: 'Application',
        metadata: { name },
        spec: {
          source,
          destination: { cluster: 'cluster-a', namespace: name },
          syncPolicy: { automated: { prune: true }, syncOptions: ['CreateNamespace=true'] },
          healthTimeout: '20s',
        },
      }),
    };
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
  const runInput = (a: Application): AppRunInput => {
    const c = clusterA();
    return {
      table,
      app: a,
      connect: async () => ({ server: c.server, ca: readFileSync(c.caFile), token: c.adminToken }),
      owner: uniqueName('owner'),
      trigger: { kind: 'schedule', by: 'test' },
      mode: 'auto',
      settings: settings(),
    };
  };
  const blobGets = (r: OciRegistry) =>
    r.requests.filter((q) => q.method === 'GET' && q.path.includes('/blobs/')).length;

  it('installs a chart from the registry by range, by tag and by digest, and downloads an unchanged version once', async () => {
    const chart = uniqueName('web');
    await registry.pushChart('charts', chartFiles(chart, '1.0.0'));
    const pushed = await registry.pushChart('charts', chartFiles(chart, '1.2.0'));
    await registry.pushChart('charts', chartFiles(chart, '2.0.0'));
    const repoURL = `oci://${registry.host}/charts`;

    const ranged = app({ repoURL, chart, targetRevision: '^1.0' });
    const first = await runApplication(runInput(ranged.app));
    expect(first).toMatchObject({
      status: 'done',
      result: { status: 'Synced', revision: '1.2.0' },
    });
    expect(
      await configMapField(clusterA(), ranged.name, `${ranged.name}-${chart}`, 'chartVersion'),
    ).toBe('1.2.0');
    expect((await readApp(table, ranged.name))?.state).toMatchObject({ syncedRevision: '1.2.0' });
    const before = blobGets(registry);
    expect(await runApplication(runInput(ranged.app))).toMatchObject({
      status: 'skipped',
      reason: 'unchanged',
    });
    expect((await reconcile(ranged.app, { ...options(), request: { dryRun: true } })).status).toBe(
      'Synced',
    );
    expect(blobGets(registry)).toBe(before);

    const tagged = app({ repoURL, chart, targetRevision: '1.0.0' });
    expect(await reconcile(tagged.app, options())).toMatchObject({
      status: 'Synced',
      revision: '1.0.0',
    });
    const pinned = app({ repoURL, chart, targetRevision: pushed.digest });
    expect(await reconcile(pinned.app, options())).toMatchObject({
      status: 'Synced',
      revision: pushed.digest,
    });
    expect(
      await configMapField(clusterA(), pinned.name, `${pinned.name}-${chart}`, 'chartVersion'),
    ).toBe('1.2.0');
  });

  it('syncs a plain-manifest artifact by tag, picks up a moved tag as a new revision, and pins a digest', async () => {
    const repo = `manifests/${uniqueName('site')}`;
    const v1 = await registry.pushArtifact(repo, 'latest', {
      'app/cm.yaml': cm('site', 'one'),
      'README.md': 'not yaml',
    });
    const { name, app: a } = app({
      repoURL: `oci://${registry.host}/${repo}`,
      targetRevision: 'latest',
      path: 'app',
    });
    expect(await runApplication(runInput(a))).toMatchObject({
      status: 'done',
      result: { status: 'Synced', revision: v1.digest },
    });
    expect(await configMapField(clusterA(), name, 'site', 'value')).toBe('one');
    const v2 = await registry.pushArtifact(repo, 'latest', { 'app/cm.yaml': cm('site', 'two') });
    expect(await runApplication(runInput(a))).toMatchObject({
      status: 'done',
      result: { status: 'Synced', revision: v2.digest },
    });
    expect(await configMapField(clusterA(), name, 'site', 'value')).toBe('two');
    const pinned = app({
      repoURL: `oci://${registry.host}/${repo}`,
      targetRevision: v1.digest,
      path: 'app',
    });
    expect(await reconcile(pinned.app, options())).toMatchObject({
      status: 'Synced',
      revision: v1.digest,
    });
    expect(await configMapField(clusterA(), pinned.name, 'site', 'value')).toBe('one');
  });

  it('refuses a hostile artifact (a ../ entry) and bad references with clear errors, applying nothing', async () => {
    const repo = `manifests/${uniqueName('hostile')}`;
    await registry.pushArtifactBytes(
      repo,
      'v1',
      craftArchive([
        { name: 'cm.yaml', body: cm('inside', 'x') },
        { name: '../escape.yaml', body: cm('outside', 'x') },
      ]),
    );
    const hostile = app({ repoURL: `oci://${registry.host}/${repo}`, targetRevision: 'v1' });
    const result = await reconcile(hostile.app, options());
    expect(result.status).toBe('Failed');
    expect(result.phase).toBe('source');
    expect(result.error).toMatch(
      /\.\.\/escape\.yaml: the entry would land outside the artifact; refused/,
    );
    expect(await configMapField(clusterA(), hostile.name, 'inside', 'value')).toBeUndefined();

    const missing = app({ repoURL: `oci://${registry.host}/${repo}`, targetRevision: '^9' });
    expect((await reconcile(missing.app, options())).error).toMatch(/no tag matches \^9/);
    const chartless = app({
      repoURL: `oci://${registry.host}/charts`,
      chart: 'no-such-chart',
      targetRevision: '1.0.0',
    });
    expect((await reconcile(chartless.app, options())).error).toMatch(
      /chart no-such-chart 1\.0\.0 from oci:\/\/.*: HTTP 404/,
    );
  });
});

describe.each(['basic', 'bearer'] as const)('OCI registry with %s authentication', (scheme) => {
  let registry: OciRegistry;
  let cacheDir: string;
  beforeAll(async () => {
    registry = await startOciRegistry({ auth: { username: 'ci', password: 'reg-s3cret', scheme } });
    cacheDir = mkdtempSync(join(tmpdir(), 'driftless-oci-auth-'));
  });
  afterAll(async () => {
    await registry.stop();
    rmSync(cacheDir, { recursive: true, force: true });
  });

  it('sends the credentials scoped to the registry, and says so when they are missing or wrong', async () => {
    const chart = uniqueName('private');
    await registry.pushChart('charts', chartFiles(chart, '1.0.0'));
    const name = uniqueName('oci-auth');
    const a = Application.parse({
      apiVersion: 'driftless.dev/v1alpha1',
      kind: 'Application',
      metadata: { name },
      spec: {
        source: { repoURL: `oci://${registry.host}/charts`, chart, targetRevision: '1.0.0' },
        destination: { cluster: 'cluster-a', namespace: name },
        syncPolicy: { syncOptions: ['CreateNamespace=true'] },
      },
    });
    const c = clusterA();
    const run = (auth?: AuthCallback) =>
      reconcile(a, {
        cluster: {
          name: c.name,
          connection: { server: c.server, ca: readFileSync(c.caFile), token: c.adminToken },
        },
        settings: engineSettings({
          source: { cacheDir, ...(auth ? { auth } : {}) },
          render: { binaries: { helm: toolPath('helm') } },
        }),
      });
    const anonymous = await run();
    expect(anonymous.status).toBe('Failed');
    expect(anonymous.error).toMatch(/HTTP 401/);
    const wrong = await run(() => ({ username: 'ci', password: 'nope' }));
    expect(wrong.error).toMatch(/HTTP 401/);
    expect(wrong.error).not.toContain('nope');
    const asked: string[] = [];
    const right: AuthCallback = (url) => {
      asked.push(url);
      return url === `https://${registry.host}/charts/${chart}`
        ? { username: 'ci', password: 'reg-s3cret' }
        : undefined;
    };
    const ok = await run(right);
    expect(ok.error).toBeUndefined();
    expect(ok.status).toBe('Synced');
    expect(asked.every((u) => u === `https://${registry.host}/charts/${chart}`)).toBe(true);
  });
});
