import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Application } from '../../shared/config/application.ts';
import { reconcile, type ReconcileOptions } from '../../shared/engine/reconcile.ts';
import { engineSettings } from '../../shared/engine/settings.ts';
import { cluster, uniqueName } from '../harness/context.ts';
import { commitTree } from '../harness/git-fixtures.ts';
import { startGitServer, type GitServer } from '../harness/git-server.ts';
import { toolPath } from '../harness/tools.ts';
import { kubectl } from '../helpers/engine.ts';

// cluster-b has KWOK nodes: Jobs run and finish there (test/harness/kwok-test-stages.yaml).
const clusterB = () => cluster('cluster-b');

const chartYaml = (name: string) =>
  `apiVersion: v2\nname: ${name}\nversion: 1.0.0\ntype: application\n`;

function hookJob(name: string, hook: string, extra: Record<string, string>, fail = false): string {
  const annotations = Object.entries({ 'helm.sh/hook': hook, ...extra })
    .map(([k, v]) => `    ${k}: "${v}"`)
    .join('\n');
  return `apiVersion: batch/v1
kind: Job
metadata:
  name: ${name}
  annotations:
${annotations}
spec:
  backoffLimit: 0
  template:
    metadata:
      labels: ${fail ? "{ 'driftless.dev/test-outcome': Failed }" : '{}'}
    spec:
      restartPolicy: Never
      containers: [{ name: run, image: busybox:1.36, command: ['true'] }]
`;
}

const crd = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: { name: gadgets.PREFIX.example.com }
spec:
  group: PREFIX.example.com
  scope: Namespaced
  names: { plural: gadgets, singular: gadget, kind: Gadget }
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema: { type: object, x-kubernetes-preserve-unknown-fields: true }
`;

describe('Helm semantics: hooks, crds/, capabilities (charts from Git, cluster-b)', () => {
  let git: GitServer;
  let cacheDir: string;
  beforeAll(async () => {
    git = await startGitServer();
    cacheDir = mkdtempSync(join(tmpdir(), 'driftless-helm-semantics-'));
  });
  afterAll(async () => {
    await git.stop();
    rmSync(cacheDir, { recursive: true, force: true });
  });

  function setup(files: Record<string, string>, path = 'chart') {
    const name = uniqueName('helm-sem');
    const url = git.createRepo(name);
    commitTree(git.repoPath(name), 'main', files);
    const app = Application.parse({
      apiVersion: 'driftless.dev/v1alpha1',
      kind: 'Application',
      metadata: { name },
      spec: {
        source: { repoURL: url, targetRevision: 'main', path },
        destination: { cluster: 'cluster-b', namespace: name },
        syncPolicy: { automated: { prune: true }, syncOptions: ['CreateNamespace=true'] },
        healthTimeout: '60s',
      },
    });
    const c = clusterB();
    const options: ReconcileOptions = {
      cluster: {
        name: c.name,
        connection: { server: c.server, ca: readFileSync(c.caFile), token: c.adminToken },
      },
      settings: engineSettings({
        source: { cacheDir },
        render: { binaries: { kustomize: toolPath('kustomize'), helm: toolPath('helm') } },
      }),
    };
    return { name, app, options };
  }

  it('runs pre-install hooks as PreSync by weight, leaves test hooks out, applies crds/ before their resources, and sees the cluster’s API versions', async () => {
    const prefix = uniqueName('g').replace(/-/g, '');
    const { name, app, options } = setup({
      'chart/Chart.yaml': chartYaml('semantics'),
      'chart/crds/gadget.yaml': crd.replaceAll('PREFIX', prefix),
      'chart/templates/gadget.yaml': `apiVersion: ${prefix}.example.com/v1\nkind: Gadget\nmetadata: { name: one }\nspec: { size: 1 }\n`,
      'chart/templates/migrate.yaml': hookJob('migrate', 'pre-install,pre-upgrade', {
        'helm.sh/hook-weight': '-5',
        'helm.sh/hook-delete-policy': 'hook-succeeded',
      }),
      'chart/templates/seed.yaml': hookJob('seed', 'post-install', {}),
      'chart/templates/cleanup.yaml': hookJob('cleanup', 'pre-delete', {}),
      'chart/templates/caps.yaml': `apiVersion: v1
kind: ConfigMap
metadata: { name: caps }
data:
  deployments: "{{ .Capabilities.APIVersions.Has "apps/v1/Deployment" }}"
  batch: "{{ .Capabilities.APIVersions.Has "batch/v1" }}"
  nothing: "{{ .Capabilities.APIVersions.Has "nowhere.example.com/v9" }}"
`,
    });
    const result = await reconcile(app, options);
    expect(result.error).toBeUndefined();
    expect(result.status).toBe('Synced');
    expect(result.hooks.map((h) => [h.ref.name, h.phase, h.status])).toEqual([
      ['migrate', 'PreSync', 'Succeeded'],
      ['seed', 'PostSync', 'Succeeded'],
    ]);
    expect(result.hooks[0]?.deletePolicies).toEqual(['HookSucceeded']);
    const kinds = result.objects.map((o) => o.ref.kind).sort();
    expect(kinds).toEqual(['ConfigMap', 'CustomResourceDefinition', 'Gadget']);
    expect(result.objects.find((o) => o.ref.kind === 'Gadget')?.action).toBe('Created');
    const caps = JSON.parse(
      await kubectl(clusterB(), 'get', 'configmap', 'caps', '-n', name, '-o', 'json'),
    ) as { data: Record<string, string> };
    expect(caps.data).toEqual({ deployments: 'true', batch: 'true', nothing: 'false' });
    // The pre-delete hook is never created; the succeeded PreSync hook was deleted.
    await expect(kubectl(clusterB(), 'get', 'job', 'cleanup', '-n', name)).rejects.toThrow();
    await expect(kubectl(clusterB(), 'get', 'job', 'migrate', '-n', name)).rejects.toThrow();
  });

  it('applies nothing else when a pre-install hook Job fails', async () => {
    const { name, app, options } = setup({
      'chart/Chart.yaml': chartYaml('failing'),
      'chart/templates/migrate.yaml': hookJob('migrate', 'pre-install', {}, true),
      'chart/templates/app.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: app-config }\ndata: { a: "1" }\n`,
    });
    const result = await reconcile(app, options);
    expect(result.status).toBe('Failed');
    expect(result.error).toMatch(/PreSync hook Job .*\/migrate failed/);
    await expect(
      kubectl(clusterB(), 'get', 'configmap', 'app-config', '-n', name),
    ).rejects.toThrow();
  });

  it("names the chart's template of an object the server refuses", async () => {
    const { app, options } = setup({
      'chart/Chart.yaml': chartYaml('refused'),
      'chart/templates/fine.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: fine }\n`,
      'chart/templates/typo.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: typo }\ndatta: { a: "1" }\n`,
    });
    const result = await reconcile(app, options);
    expect(result.status).toBe('Failed');
    expect(result.error).toContain('ConfigMap');
    expect(result.error).toMatch(/typo \(refused\/templates\/typo\.yaml \(helm template#\d+\)\)/);
  });

  it('names the object and the annotation when a Helm hook annotation outside a chart is malformed, applying nothing', async () => {
    // helm template itself drops a chart's objects with unknown hooks; plain
    // manifests copied from a chart reach us with the annotation as written.
    const { name, app, options } = setup(
      {
        'plain/migrate.yaml': hookJob('migrate', 'pre-instal', {}),
        'plain/app.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: app-config }\ndata: { a: "1" }\n`,
      },
      'plain',
    );
    const result = await reconcile(app, options);
    expect(result.status).toBe('Failed');
    expect(result.error).toContain('Job');
    expect(result.error).toContain('annotation helm.sh/hook: unknown hook "pre-instal"');
    await expect(
      kubectl(clusterB(), 'get', 'configmap', 'app-config', '-n', name),
    ).rejects.toThrow();
  });
});
