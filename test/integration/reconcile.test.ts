import { readFileSync } from 'node:fs';
import { engineSettings } from '../../shared/engine/settings.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Application, type ApplicationInput } from '../../shared/config/application.ts';
import type { KubeObject } from '../../shared/kube/object.ts';
import { reconcile, type ReconcileOptions } from '../../shared/engine/reconcile.ts';
import type { Inventory } from '../../shared/sync/inventory.ts';
import { cluster, uniqueName } from '../harness/context.ts';
import { commitTree, type FileTree } from '../harness/git-fixtures.ts';
import { startGitServer, type GitServer } from '../harness/git-server.ts';
import { toolPath } from '../harness/tools.ts';
import { kubectl, kubectlDiff } from '../helpers/engine.ts';

const clusterA = () => cluster('cluster-a');

describe('reconcile from Git to cluster-a', () => {
  let git: GitServer;
  let cacheDir: string;
  beforeAll(async () => {
    git = await startGitServer();
    cacheDir = mkdtempSync(join(tmpdir(), 'driftless-reconcile-cache-'));
  });
  afterAll(async () => {
    await git.stop();
    rmSync(cacheDir, { recursive: true, force: true });
  });

  function app(
    name: string,
    repoURL: string,
    path: string,
    extra: Partial<ApplicationInput['spec']> = {},
  ): Application {
    return Application.parse({
      apiVersion: 'driftless.dev/v1alpha1',
      kind: 'Application',
      metadata: { name },
      spec: {
        source: { repoURL, targetRevision: 'main', path },
        destination: { cluster: 'cluster-a', namespace: name },
        syncPolicy: {
          automated: { prune: true, selfHeal: true },
          syncOptions: ['CreateNamespace=true'],
        },
        healthTimeout: '30s',
        ...extra,
      },
    });
  }

  function options(previous?: Inventory, extra: Partial<ReconcileOptions> = {}): ReconcileOptions {
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
      previous,
      ...extra,
    };
  }

  const cm = (name: string, value: string) =>
    `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  value: "${value}"\n`;

  it('syncs a directory app, then does nothing for an unchanged commit without fetching', async () => {
    const name = uniqueName('dir');
    const url = git.createRepo(name);
    const files: FileTree = {
      'apps/web/config.yaml': `${cm('one', '1')}---\n${cm('two', '2')}`,
      'apps/web/nested/ignored.yaml': cm('nested', 'x'),
      'apps/other/config.yaml': cm('elsewhere', 'x'),
    };
    const sha = commitTree(git.repoPath(name), 'main', files);
    const spec = app(name, url, 'apps/web');
    const first = await reconcile(spec, options());
    expect(first.error).toBeUndefined();
    expect(first).toMatchObject({ status: 'Synced', revision: sha, counts: { Created: 2 } });
    const rvs = await kubectl(
      clusterA(),
      'get',
      'configmaps',
      '-n',
      name,
      '-l',
      `driftless.dev/app=${name}`,
      '-o',
      'jsonpath={.items[*].metadata.resourceVersion}',
    );
    const fetchesBefore = git.requests(name).fetches;

    const second = await reconcile(spec, options(first.inventory));
    expect(second).toMatchObject({
      status: 'Synced',
      revision: sha,
      counts: { Unchanged: 2, Created: 0, Configured: 0 },
    });
    expect(git.requests(name).fetches).toBe(fetchesBefore);
    expect(
      await kubectl(
        clusterA(),
        'get',
        'configmaps',
        '-n',
        name,
        '-l',
        `driftless.dev/app=${name}`,
        '-o',
        'jsonpath={.items[*].metadata.resourceVersion}',
      ),
    ).toBe(rvs);

    const sha2 = commitTree(git.repoPath(name), 'main', {
      ...files,
      'apps/web/config.yaml': cm('one', 'changed'),
    });
    const third = await reconcile(spec, options(second.inventory));
    expect(third).toMatchObject({
      status: 'Synced',
      revision: sha2,
      counts: { Configured: 1, Pruned: 1 },
    });
    expect(
      await kubectlDiff(clusterA(), name, name, [
        {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'one' },
          data: { value: 'changed' },
        },
      ]),
    ).toEqual({ same: true, output: '' });
  });

  it('syncs a Kustomize app and a Helm chart', async () => {
    const name = uniqueName('tools');
    const url = git.createRepo(name);
    commitTree(git.repoPath(name), 'main', {
      'kustomize/base/kustomization.yaml': 'resources:\n  - cm.yaml\n',
      'kustomize/base/cm.yaml': cm('settings', 'base'),
      'kustomize/overlay/kustomization.yaml':
        'resources:\n  - ../base\nnamePrefix: prod-\ncommonLabels:\n  tier: prod\n',
      'chart/Chart.yaml': 'apiVersion: v2\nname: demo\nversion: 0.1.0\n',
      'chart/values.yaml': 'replicas: 1\ngreeting: hello\n',
      'chart/templates/cm.yaml':
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-greeting\ndata:\n  greeting: {{ .Values.greeting | quote }}\n  kube: {{ .Capabilities.KubeVersion.Version | quote }}\n',
    });
    const kustomized = await reconcile(app(`${name}-k`, url, 'kustomize/overlay'), options());
    expect(kustomized.error).toBeUndefined();
    expect(kustomized.objects.map((o) => o.ref.name)).toEqual(['prod-settings']);
    const live = JSON.parse(
      await kubectl(
        clusterA(),
        'get',
        'configmap',
        'prod-settings',
        '-n',
        `${name}-k`,
        '-o',
        'json',
      ),
    ) as KubeObject;
    expect(live.metadata.labels).toMatchObject({
      tier: 'prod',
      'app.kubernetes.io/managed-by': 'driftless',
    });

    const helmed = await reconcile(
      app(`${name}-h`, url, 'chart', { render: { helm: { values: { greeting: 'bonjour' } } } }),
      options(),
    );
    expect(helmed.error).toBeUndefined();
    const greeting = JSON.parse(
      await kubectl(
        clusterA(),
        'get',
        'configmap',
        `${name}-h-greeting`,
        '-n',
        `${name}-h`,
        '-o',
        'json',
      ),
    ) as KubeObject;
    expect(greeting.data).toEqual({ greeting: 'bonjour', kube: 'v1.36.3' });
  });

  it('reports an unknown branch and an invalid document as failures, applying nothing', async () => {
    const name = uniqueName('bad');
    const url = git.createRepo(name);
    const docs = Array.from({ length: 50 }, (_, i) =>
      i === 31 ? 'apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n' : cm(`cm-${i}`, String(i)),
    );
    commitTree(git.repoPath(name), 'main', { 'app/all.yaml': docs.join('---\n') });
    const unknown = await reconcile(
      app(name, url, 'app', {
        source: { repoURL: url, targetRevision: 'no-such-branch', path: 'app' },
      }),
      options(),
    );
    expect(unknown.status).toBe('Failed');
    expect(unknown.error).toMatch(/^source: .*no-such-branch/);
    const invalid = await reconcile(app(name, url, 'app'), options());
    expect(invalid.status).toBe('Failed');
    expect(invalid.error).toMatch(/^render: [\s\S]*all\.yaml, document 31: metadata\.name/);
    await expect(kubectl(clusterA(), 'get', 'namespace', name)).rejects.toThrow(/NotFound/);
  });

  it('fails with a clear message when the cluster cannot be reached', async () => {
    const name = uniqueName('offline');
    const url = git.createRepo(name);
    commitTree(git.repoPath(name), 'main', { 'app/cm.yaml': cm('a', '1') });
    const result = await reconcile(
      app(name, url, 'app'),
      options(undefined, {
        cluster: { name: 'gone', connection: { server: 'https://127.0.0.1:1' } },
      }),
    );
    expect(result.status).toBe('Failed');
    expect(result.error).toMatch(
      /cannot reach the Kubernetes API server at https:\/\/127\.0\.0\.1:1/,
    );
  });
});
