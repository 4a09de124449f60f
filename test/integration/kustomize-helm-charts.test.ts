import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { Application } from '../../shared/config/application.ts';
import { reconcile, type ReconcileOptions } from '../../shared/engine/reconcile.ts';
import { engineSettings } from '../../shared/engine/settings.ts';
import { forgetIndexes } from '../../shared/source/chart/index-file.ts';
import { cluster, uniqueName } from '../harness/context.ts';
import { commitTree, type FileTree } from '../harness/git-fixtures.ts';
import { startGitServer, type GitServer } from '../harness/git-server.ts';
import { chartFiles, craftArchive, startHelmRepo, type HelmRepo } from '../harness/helm-repo.ts';
import { toolPath } from '../harness/tools.ts';
import { kubectl } from '../helpers/engine.ts';

const clusterA = () => cluster('cluster-a');

async function configMapData(namespace: string, name: string) {
  try {
    const out = await kubectl(
      clusterA(),
      'get',
      'configmap',
      name,
      '-n',
      namespace,
      '-o',
      'jsonpath={.data}',
    );
    return JSON.parse(out) as Record<string, string>;
  } catch {
    return undefined;
  }
}

/** Paths named `name` anywhere under `dir` (find's own errors, such as unreadable folders, ignored). */
function filesNamed(dir: string, name: string): string[] {
  const found = spawnSync('find', [dir, '-name', name], { encoding: 'utf8' });
  return found.stdout.split('\n').filter(Boolean);
}

const plain =
  'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: plain }\ndata: { plain: "yes" }\n';

describe('Kustomize helmCharts with render.kustomize.enableHelm (charts fetched by Driftless, cluster-a)', () => {
  let git: GitServer;
  let repo: HelmRepo;
  let cacheDir: string;
  beforeAll(async () => {
    git = await startGitServer();
    repo = await startHelmRepo();
    cacheDir = mkdtempSync(join(tmpdir(), 'driftless-kustomize-helm-'));
  });
  afterAll(async () => {
    await git.stop();
    await repo.stop();
    rmSync(cacheDir, { recursive: true, force: true });
  });
  beforeEach(() => forgetIndexes());

  function setup(kustomization: object, extra: FileTree = {}, enableHelm = true) {
    const name = uniqueName('kust-helm');
    const url = git.createRepo(name);
    commitTree(git.repoPath(name), 'main', {
      'app/kustomization.yaml': stringify(kustomization),
      'app/plain.yaml': plain,
      ...extra,
    });
    const app = Application.parse({
      apiVersion: 'driftless.dev/v1alpha1',
      kind: 'Application',
      metadata: { name },
      spec: {
        source: { repoURL: url, targetRevision: 'main', path: 'app' },
        destination: { cluster: 'cluster-a', namespace: name },
        render: { kustomize: enableHelm ? { enableHelm } : {} },
        syncPolicy: { automated: { prune: true }, syncOptions: ['CreateNamespace=true'] },
        healthTimeout: '20s',
      },
    });
    return { name, app };
  }

  const options = (): ReconcileOptions => {
    const c = clusterA();
    return {
      cluster: {
        name: c.name,
        connection: { server: c.server, ca: readFileSync(c.caFile), token: c.adminToken },
      },
      settings: engineSettings({
        source: { cacheDir },
        render: { binaries: { kustomize: toolPath('kustomize'), helm: toolPath('helm') } },
      }),
    };
  };
  const chartRequests = () => repo.requests.filter((r) => r.kind === 'chart').length;

  it('syncs charts from the Helm repository (a version and a range, a values file and inline values) and downloads nothing the next time', async () => {
    const chart = uniqueName('web');
    for (const v of ['1.0.0', '1.1.0', '2.0.0']) await repo.publish(chartFiles(chart, v));
    const { name, app } = setup(
      {
        resources: ['plain.yaml'],
        helmCharts: [
          {
            name: chart,
            repo: repo.url,
            version: '1.0.0',
            releaseName: 'pinned',
            valuesFile: 'values/prod.yaml',
          },
          {
            name: chart,
            repo: repo.url,
            version: '^1.0',
            releaseName: 'ranged',
            valuesInline: { greeting: 'inline' },
          },
        ],
      },
      { 'app/values/prod.yaml': 'greeting: from-file\n' },
    );
    const first = await reconcile(app, options());
    expect(first.error).toBeUndefined();
    expect(first.status).toBe('Synced');
    expect(await configMapData(name, 'plain')).toEqual({ plain: 'yes' });
    expect(await configMapData(name, `pinned-${chart}`)).toMatchObject({
      chartVersion: '1.0.0',
      greeting: 'from-file',
    });
    expect(await configMapData(name, `ranged-${chart}`)).toMatchObject({
      chartVersion: '1.1.0',
      greeting: 'inline',
    });

    const before = chartRequests();
    forgetIndexes();
    expect((await reconcile(app, options())).status).toBe('Synced');
    expect(chartRequests()).toBe(before);
  });

  it('refuses helmCharts unless the application sets render.kustomize.enableHelm, naming the kustomization', async () => {
    const chart = uniqueName('off');
    await repo.publish(chartFiles(chart, '1.0.0'));
    const { name, app } = setup(
      {
        resources: ['plain.yaml'],
        helmCharts: [{ name: chart, repo: repo.url, version: '1.0.0' }],
      },
      {},
      false,
    );
    const result = await reconcile(app, options());
    expect(result.status).toBe('Failed');
    expect(result.phase).toBe('render');
    expect(result.error).toMatch(
      /app\/kustomization\.yaml declares helmCharts; kustomize renders Helm charts only when the application sets render\.kustomize\.enableHelm: true/,
    );
    expect(await configMapData(name, 'plain')).toBeUndefined();
  });

  it('unpacks nothing of a hostile archive outside its folder: ../ entries and a link are refused with a clear message', async () => {
    const token = uniqueName('escape');
    const hostile = (chart: string) => [
      { name: `${chart}/Chart.yaml`, body: `apiVersion: v2\nname: ${chart}\nversion: 1.0.0\n` },
      { name: `${chart}/values.yaml`, body: 'greeting: hi\n' },
      { name: `${chart}/templates/cm.yaml`, body: plain.replace('plain', 'from-chart') },
    ];
    const cases: [string, Parameters<typeof craftArchive>[0], RegExp][] = [
      [
        'dotdot',
        [
          { name: `../${token}.txt`, body: 'outside' },
          { name: `dotdot/../../../../../../../../tmp/${token}.txt`, body: 'outside' },
        ],
        new RegExp(`entry "\\.\\./${token}\\.txt" is a path with \\.\\.; refused`),
      ],
      [
        'linked',
        [
          { name: 'linked/templates/passwd.yaml', type: 'symlink', linkTarget: '/etc/passwd' },
          { name: `linked/${token}.txt`, type: 'symlink', linkTarget: `../../../../${token}.txt` },
        ],
        /entry "linked-[a-z0-9-]+\/templates\/passwd\.yaml" is a symlink entry \(only files and folders are unpacked\); refused/,
      ],
    ];
    for (const [suffix, entries, pattern] of cases) {
      const chart = uniqueName(suffix);
      const named = entries.map((e) => ({ ...e, name: e.name.replace(`${suffix}/`, `${chart}/`) }));
      const archive = craftArchive([...hostile(chart), ...named]);
      await repo.publishRaw(`${chart}-1.0.0.tgz`, archive, { name: chart, version: '1.0.0' });
      forgetIndexes();
      const { name, app } = setup({
        resources: ['plain.yaml'],
        helmCharts: [{ name: chart, repo: repo.url, version: '1.0.0', releaseName: 'x' }],
      });
      const result = await reconcile(app, options());
      expect(result.status).toBe('Failed');
      expect(result.error).toMatch(
        new RegExp(`app/kustomization\\.yaml helmCharts\\[0\\] ${chart} 1\\.0\\.0 from `),
      );
      expect(result.error).toMatch(pattern);
      expect(await configMapData(name, 'plain')).toBeUndefined();
    }
    expect(filesNamed(tmpdir(), `${token}.txt`)).toEqual([]);
    expect(filesNamed(cacheDir, `${token}.txt`)).toEqual([]);
  });

  it('refuses a valuesFile outside the checkout, and a Helm generator outside helmCharts', async () => {
    const chart = uniqueName('values');
    await repo.publish(chartFiles(chart, '1.0.0'));
    const outside = setup({
      helmCharts: [
        { name: chart, repo: repo.url, version: '1.0.0', valuesFile: '../../../../etc/passwd' },
      ],
    });
    const refused = await reconcile(outside.app, options());
    expect(refused.status).toBe('Failed');
    expect(refused.error).toMatch(
      /outside the application's checkout[^]*app refers to \.\.\/\.\.\/\.\.\/\.\.\/etc\/passwd: it is outside the checkout/,
    );

    const generator = setup(
      { resources: ['plain.yaml'], generators: ['helm.yaml'] },
      {
        'app/helm.yaml': stringify({
          apiVersion: 'builtin',
          kind: 'HelmChartInflationGenerator',
          metadata: { name: 'sneaky' },
          name: chart,
          chartHome: '/',
        }),
      },
    );
    const sneaky = await reconcile(generator.app, options());
    expect(sneaky.status).toBe('Failed');
    expect(sneaky.error).toMatch(
      /app\/kustomization\.yaml: generator helm\.yaml is \(or cannot be read as anything but\) a HelmChartInflationGenerator; declare the chart in helmCharts/,
    );
    expect(await configMapData(generator.name, 'plain')).toBeUndefined();
  });
});
