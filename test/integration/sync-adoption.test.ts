import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Application } from '../../shared/config/application.ts';
import { engineSettings } from '../../shared/engine/settings.ts';
import { reconcile, type ReconcileOptions } from '../../shared/engine/reconcile.ts';
import type { KubeObject } from '../../shared/kube/object.ts';
import type { Inventory } from '../../shared/sync/inventory.ts';
import { cluster, uniqueName } from '../harness/context.ts';
import { commitTree } from '../harness/git-fixtures.ts';
import { startGitServer, type GitServer } from '../harness/git-server.ts';
import { toolPath } from '../harness/tools.ts';
import { configMap, crdVersion, kubectl, syncOn, widgetCrd } from '../helpers/engine.ts';

const clusterA = () => cluster('cluster-a');

const sync = (
  app: string,
  ns: string,
  objects: KubeObject[],
  previous?: Inventory,
  extra: Parameters<typeof syncOn>[5] = {},
) => syncOn(clusterA(), app, ns, objects, previous, extra);

const ADOPT = { 'driftless.dev/sync-options': 'AdoptExisting=true' };

const notAdopted = (ns: string, name: string, kind = 'ConfigMap') =>
  `${kind} ${ns}/${name} exists and was not created by Driftless; it is not adopted (set syncOptions AdoptExisting=true on the application, or annotate the manifest driftless.dev/sync-options: AdoptExisting=true)`;

async function getJson(ns: string, resource: string, name: string): Promise<KubeObject> {
  return JSON.parse(
    await kubectl(clusterA(), 'get', resource, name, '-n', ns, '-o', 'json'),
  ) as KubeObject;
}

async function exists(ns: string, resource: string, name: string): Promise<boolean> {
  try {
    await kubectl(clusterA(), 'get', resource, name, '-n', ns);
    return true;
  } catch {
    return false;
  }
}

/** A namespace holding ConfigMaps made by someone else (no Driftless marks), `value: theirs`. */
async function unownedConfigMaps(prefix: string, ...names: string[]): Promise<string> {
  const ns = uniqueName(prefix);
  await kubectl(clusterA(), 'create', 'namespace', ns);
  for (const name of names)
    await kubectl(clusterA(), 'create', 'configmap', name, '-n', ns, '--from-literal=value=theirs');
  return ns;
}

function expectMarkedBy(live: KubeObject, app: string): void {
  expect(live.metadata.labels).toMatchObject({
    'app.kubernetes.io/managed-by': 'driftless',
    'driftless.dev/app': app,
  });
  expect(live.metadata.annotations?.['driftless.dev/app']).toBe(app);
}

function expectUnmarked(live: KubeObject): void {
  expect(live.metadata.labels?.['app.kubernetes.io/managed-by']).toBeUndefined();
  expect(live.metadata.annotations?.['driftless.dev/app']).toBeUndefined();
}

/**
 * A Widget CRD serving v1 and one widget `gizmo` in it, both made by a
 * cluster admin (no Driftless marks).
 */
async function adminWidget(ns: string, group: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'driftless-adopt-'));
  try {
    writeFileSync(
      join(dir, 'crd.json'),
      JSON.stringify(widgetCrd(group, [crdVersion('v1', true)])),
    );
    await kubectl(clusterA(), 'apply', '-f', join(dir, 'crd.json'));
    await kubectl(clusterA(), 'wait', '--for=condition=Established', `crd/widgets.${group}`);
    const widget = {
      apiVersion: `${group}/v1`,
      kind: 'Widget',
      metadata: { name: 'gizmo', namespace: ns },
      spec: { size: 1 },
    };
    writeFileSync(join(dir, 'widget.json'), JSON.stringify(widget));
    await kubectl(clusterA(), 'apply', '-f', join(dir, 'widget.json'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The admin's CRD with v2 added, opted in to adoption: the CRD itself is not the point. */
function crdWithV2(group: string): KubeObject {
  const crd = widgetCrd(group, [crdVersion('v1', true), crdVersion('v2', false)]);
  crd.metadata.annotations = ADOPT;
  return crd;
}

describe('adoption of existing objects', () => {
  it('refuses every unowned object of a rendered name before the first write, naming each', async () => {
    const app = uniqueName('adopt-no');
    const ns = await unownedConfigMaps('adopt-no', 'settings', 'flags');
    const before = await getJson(ns, 'configmap', 'settings');

    const result = await sync(app, ns, [
      configMap('settings', { value: 'ours' }),
      configMap('sibling', { a: '1' }),
      configMap('flags', { value: 'ours' }),
    ]);

    expect(result.status).toBe('Failed');
    expect(result.error).toContain('2 object(s)');
    expect(result.error).toContain('nothing was applied');
    const failed = result.objects.filter((o) => o.action === 'Failed');
    expect(failed.map((o) => o.message).sort()).toEqual([
      notAdopted(ns, 'flags'),
      notAdopted(ns, 'settings'),
    ]);
    const after = await getJson(ns, 'configmap', 'settings');
    expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
    expect(after.data).toEqual({ value: 'theirs' });
    expectUnmarked(after);
    expect(await exists(ns, 'configmap', 'sibling')).toBe(false);
  });

  it('reports the same refusal in a dry run', async () => {
    const app = uniqueName('adopt-dry');
    const ns = await unownedConfigMaps('adopt-dry', 'settings');
    const before = await getJson(ns, 'configmap', 'settings');

    const dry = await sync(
      app,
      ns,
      [configMap('settings', { value: 'ours' }), configMap('sibling', { a: '1' })],
      undefined,
      { dryRun: true },
    );

    expect(dry.status).toBe('Failed');
    expect(dry.objects.find((o) => o.ref.name === 'settings')).toMatchObject({
      action: 'Failed',
      message: notAdopted(ns, 'settings'),
    });
    expect((await getJson(ns, 'configmap', 'settings')).metadata.resourceVersion).toBe(
      before.metadata.resourceVersion,
    );
    expect(await exists(ns, 'configmap', 'sibling')).toBe(false);
  });

  it("adopts with the application's AdoptExisting=true: our marks, the manifest's data", async () => {
    const app = uniqueName('adopt-app');
    const ns = await unownedConfigMaps('adopt-app', 'settings');

    const result = await sync(
      app,
      ns,
      [configMap('settings', { value: 'ours' }), configMap('sibling', { a: '1' })],
      undefined,
      { adoptExisting: true },
    );

    expect(result.error).toBeUndefined();
    expect(result.status).toBe('Synced');
    expect(result.objects.find((o) => o.ref.name === 'settings')?.action).toBe('Configured');
    const live = await getJson(ns, 'configmap', 'settings');
    expect(live.data).toEqual({ value: 'ours' });
    expectMarkedBy(live, app);
    // Ours from now on: the next sync without the option finds nothing to do.
    const again = await sync(
      app,
      ns,
      [configMap('settings', { value: 'ours' }), configMap('sibling', { a: '1' })],
      result.inventory,
    );
    expect(again).toMatchObject({ status: 'Synced', counts: { Unchanged: 2 } });
  });

  it('adopts only the object annotated driftless.dev/sync-options: AdoptExisting=true', async () => {
    const app = uniqueName('adopt-obj');
    const ns = await unownedConfigMaps('adopt-obj', 'settings', 'plain');
    const settings = configMap('settings', { value: 'ours' }, { annotations: ADOPT });

    const mixed = await sync(app, ns, [settings, configMap('plain', { value: 'ours' })]);
    expect(mixed.status).toBe('Failed');
    expect(mixed.objects.filter((o) => o.action === 'Failed')).toEqual([
      expect.objectContaining({ message: notAdopted(ns, 'plain') }),
    ]);
    expectUnmarked(await getJson(ns, 'configmap', 'settings'));

    const result = await sync(app, ns, [settings]);
    expect(result.error).toBeUndefined();
    expect(result.status).toBe('Synced');
    const live = await getJson(ns, 'configmap', 'settings');
    expect(live.data).toEqual({ value: 'ours' });
    expectMarkedBy(live, app);
    expectUnmarked(await getJson(ns, 'configmap', 'plain'));
  });

  it("lets an object's AdoptExisting=false override the application's true", async () => {
    const app = uniqueName('adopt-off');
    const ns = await unownedConfigMaps('adopt-off', 'settings');
    const before = await getJson(ns, 'configmap', 'settings');

    const result = await sync(
      app,
      ns,
      [
        configMap(
          'settings',
          { value: 'ours' },
          { annotations: { 'driftless.dev/sync-options': 'Validate=true, AdoptExisting=false' } },
        ),
        configMap('sibling', { a: '1' }),
      ],
      undefined,
      { adoptExisting: true },
    );

    expect(result.status).toBe('Failed');
    expect(result.error).toContain(notAdopted(ns, 'settings'));
    const after = await getJson(ns, 'configmap', 'settings');
    expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
    expect(after.data).toEqual({ value: 'theirs' });
    expect(await exists(ns, 'configmap', 'sibling')).toBe(false);
  });

  it('re-applies an object of the previous inventory whose marks someone removed, without opt-in', async () => {
    const app = uniqueName('adopt-inv');
    const first = await sync(app, app, [configMap('settings', { value: 'one' })]);
    expect(first.status).toBe('Synced');
    await kubectl(
      clusterA(),
      'label',
      'configmap',
      'settings',
      '-n',
      app,
      'app.kubernetes.io/managed-by-',
      'driftless.dev/app-',
    );
    await kubectl(clusterA(), 'annotate', 'configmap', 'settings', '-n', app, 'driftless.dev/app-');
    expectUnmarked(await getJson(app, 'configmap', 'settings'));

    const second = await sync(app, app, [configMap('settings', { value: 'two' })], first.inventory);

    expect(second.error).toBeUndefined();
    expect(second.status).toBe('Synced');
    const live = await getJson(app, 'configmap', 'settings');
    expect(live.data).toEqual({ value: 'two' });
    expectMarkedBy(live, app);
  });

  it('asks for the opt-in before a Namespace manifest takes over the namespace CreateNamespace made', async () => {
    const app = uniqueName('adopt-ns');
    const first = await sync(app, app, [configMap('settings', { value: 'one' })]);
    expect(first.status).toBe('Synced');
    const namespace = (annotations: Record<string, string> = {}): KubeObject => ({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: app, labels: { team: 'a' }, annotations },
    });

    const refused = await sync(
      app,
      app,
      [namespace(), configMap('settings', { value: 'one' })],
      first.inventory,
    );
    expect(refused.status).toBe('Failed');
    expect(refused.objects.find((o) => o.ref.kind === 'Namespace')?.message).toBe(
      `Namespace ${app} exists and belongs to no Driftless application (no driftless.dev/app annotation); it is not adopted (set syncOptions AdoptExisting=true on the application, or annotate the manifest driftless.dev/sync-options: AdoptExisting=true)`,
    );

    const adopted = await sync(
      app,
      app,
      [namespace(ADOPT), configMap('settings', { value: 'one' })],
      first.inventory,
    );
    expect(adopted.error).toBeUndefined();
    const live = JSON.parse(
      await kubectl(clusterA(), 'get', 'namespace', app, '-o', 'json'),
    ) as KubeObject;
    expect(live.metadata.labels?.team).toBe('a');
    expectMarkedBy(live, app);
  });

  it("still refuses another application's object as a conflict, opt-in or not", async () => {
    const owner = uniqueName('adopt-owner');
    const other = uniqueName('adopt-other');
    const ns = owner;
    expect((await sync(owner, ns, [configMap('settings', { value: 'mine' })])).status).toBe(
      'Synced',
    );

    const result = await sync(
      other,
      ns,
      [configMap('settings', { value: 'theirs' }, { annotations: ADOPT })],
      undefined,
      { adoptExisting: true },
    );

    expect(result.status).toBe('Failed');
    expect(result.objects[0]?.message).toBe(
      `ConfigMap ${ns}/settings belongs to application "${owner}"; it is not taken over`,
    );
    const live = await getJson(ns, 'configmap', 'settings');
    expect(live.data).toEqual({ value: 'mine' });
    expectMarkedBy(live, owner);
  });

  it('refuses an unowned custom resource whose version arrives with its CRD, when applied', async () => {
    const app = uniqueName('adopt-crv');
    const ns = app;
    const group = `${app}.driftless.dev`;
    await kubectl(clusterA(), 'create', 'namespace', ns);
    await adminWidget(ns, group);

    const result = await sync(app, ns, [
      crdWithV2(group),
      { apiVersion: `${group}/v2`, kind: 'Widget', metadata: { name: 'gizmo' }, spec: { size: 2 } },
    ]);

    expect(result.status).toBe('Failed');
    expect(result.error).toMatch(
      /Widget .*\/gizmo .*exists and was not created by Driftless; it is not adopted \(set syncOptions AdoptExisting=true/,
    );
    const live = await getJson(ns, `widgets.v1.${group}`, 'gizmo');
    expect(live.spec).toEqual({ size: 1 });
    expectUnmarked(live);
  });

  it('adopts such a custom resource when its manifest opts in', async () => {
    const app = uniqueName('adopt-cra');
    const ns = app;
    const group = `${app}.driftless.dev`;
    await kubectl(clusterA(), 'create', 'namespace', ns);
    await adminWidget(ns, group);

    const result = await sync(app, ns, [
      crdWithV2(group),
      {
        apiVersion: `${group}/v2`,
        kind: 'Widget',
        metadata: { name: 'gizmo', annotations: ADOPT },
        spec: { size: 2 },
      },
    ]);

    expect(result.error).toBeUndefined();
    expect(result.status).toBe('Synced');
    const live = await getJson(ns, `widgets.v1.${group}`, 'gizmo');
    expect(live.spec).toEqual({ size: 2 });
    expectMarkedBy(live, app);
  });

  it('never adopts an object for a hook, whatever the sync options say', async () => {
    const app = uniqueName('adopt-hook');
    const ns = await unownedConfigMaps('adopt-hook', 'migrate');
    const hook = configMap(
      'migrate',
      { value: 'ours' },
      {
        annotations: {
          ...ADOPT,
          'driftless.dev/hook': 'PreSync',
          'driftless.dev/hook-delete-policy': 'HookSucceeded',
        },
      },
    );

    const result = await sync(app, ns, [hook, configMap('sibling', { a: '1' })], undefined, {
      adoptExisting: true,
    });

    expect(result.status).toBe('Failed');
    expect(result.hooks[0]?.message).toMatch(
      /ConfigMap .*\/migrate exists and was not created by Driftless; a hook never replaces it/,
    );
    expect((await getJson(ns, 'configmap', 'migrate')).data).toEqual({ value: 'theirs' });
    expect(await exists(ns, 'configmap', 'sibling')).toBe(false);
  });

  it('refuses, when it is created, a hook whose kind arrives with its CRD over an unowned object', async () => {
    const app = uniqueName('adopt-crh');
    const ns = app;
    const group = `${app}.driftless.dev`;
    await kubectl(clusterA(), 'create', 'namespace', ns);
    await adminWidget(ns, group);

    const result = await sync(
      app,
      ns,
      [
        crdWithV2(group),
        {
          apiVersion: `${group}/v2`,
          kind: 'Widget',
          metadata: {
            name: 'gizmo',
            annotations: {
              ...ADOPT,
              'driftless.dev/hook': 'PostSync',
              'driftless.dev/hook-delete-policy': 'HookSucceeded',
            },
          },
          spec: { size: 2 },
        },
      ],
      undefined,
      { adoptExisting: true, healthTimeoutMs: 30_000 },
    );

    expect(result.status).toBe('Failed');
    expect(result.hooks.find((h) => h.ref.name === 'gizmo')?.message).toMatch(
      /not created: Widget .*\/gizmo exists and is not this application's; not replaced/,
    );
    const live = await getJson(ns, `widgets.v1.${group}`, 'gizmo');
    expect(live.spec).toEqual({ size: 1 });
    expectUnmarked(live);
  });
});

describe('adoption through the application (reconcile)', () => {
  let git: GitServer;
  let cacheDir: string;
  beforeAll(async () => {
    git = await startGitServer();
    cacheDir = mkdtempSync(join(tmpdir(), 'driftless-adopt-cache-'));
  });
  afterAll(async () => {
    await git.stop();
    rmSync(cacheDir, { recursive: true, force: true });
  });

  function app(name: string, url: string, syncOptions: string[]): Application {
    return Application.parse({
      apiVersion: 'driftless.dev/v1alpha1',
      kind: 'Application',
      metadata: { name },
      spec: {
        source: { repoURL: url, targetRevision: 'main', path: 'app' },
        destination: { cluster: 'cluster-a', namespace: name },
        syncPolicy: { syncOptions },
        healthTimeout: '30s',
      },
    });
  }

  function options(extra: Partial<ReconcileOptions> = {}): ReconcileOptions {
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
      ...extra,
    };
  }

  it('refuses without spec.syncPolicy.syncOptions AdoptExisting=true, in a diff too, and adopts with it', async () => {
    const name = uniqueName('adopt-rec');
    await kubectl(clusterA(), 'create', 'namespace', name);
    await kubectl(
      clusterA(),
      'create',
      'configmap',
      'settings',
      '-n',
      name,
      '--from-literal=value=theirs',
    );
    const url = git.createRepo(name);
    commitTree(git.repoPath(name), 'main', {
      'app/settings.yaml':
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  value: ours\n',
    });

    const dry = await reconcile(
      app(name, url, ['CreateNamespace=true']),
      options({ request: { dryRun: true } }),
    );
    expect(dry.status).toBe('Failed');
    expect(dry.objects[0]).toMatchObject({
      action: 'Failed',
      message: notAdopted(name, 'settings'),
    });

    const refused = await reconcile(app(name, url, ['CreateNamespace=true']), options());
    expect(refused.status).toBe('Failed');
    expect(refused.error).toContain(notAdopted(name, 'settings'));
    expect((await getJson(name, 'configmap', 'settings')).data).toEqual({ value: 'theirs' });

    const adopted = await reconcile(
      app(name, url, ['CreateNamespace=true', 'AdoptExisting=true']),
      options(),
    );
    expect(adopted.error).toBeUndefined();
    expect(adopted.status).toBe('Synced');
    const live = await getJson(name, 'configmap', 'settings');
    expect(live.data).toEqual({ value: 'ours' });
    expectMarkedBy(live, name);
  });
});
