import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../shared/kube/object.ts';
import type { Inventory } from '../../shared/sync/inventory.ts';
import { cluster, uniqueName } from '../harness/context.ts';
import {
  configMap,
  crdVersion,
  kubectl,
  kubectlDiff,
  syncOn,
  widgetCrd,
} from '../helpers/engine.ts';

const clusterA = () => cluster('cluster-a');

const sync = (
  app: string,
  ns: string,
  objects: KubeObject[],
  previous?: Inventory,
  extra: Parameters<typeof syncOn>[5] = {},
) => syncOn(clusterA(), app, ns, objects, previous, extra);

async function exists(ns: string, kind: string, name: string): Promise<boolean> {
  try {
    await kubectl(clusterA(), 'get', kind, name, '-n', ns);
    return true;
  } catch {
    return false;
  }
}

describe('sync safety', () => {
  it('refuses an object owned by another application and applies nothing', async () => {
    const ns = uniqueName('shared');
    const first = await sync('owner-app', ns, [configMap('claimed', { by: 'owner' })]);
    expect(first.status).toBe('Synced');
    const second = await sync('other-app', ns, [
      configMap('claimed', { by: 'other' }),
      configMap('innocent', { a: 'b' }),
    ]);
    expect(second.status).toBe('Failed');
    expect(second.error).toMatch(/ConfigMap .*claimed belongs to application "owner-app"/);
    expect(await exists(ns, 'configmap', 'innocent')).toBe(false);
    const live = JSON.parse(
      await kubectl(clusterA(), 'get', 'configmap', 'claimed', '-n', ns, '-o', 'json'),
    ) as KubeObject;
    expect(live.data).toEqual({ by: 'owner' });
  });

  it('never prunes an unowned look-alike, and honours prune: disabled', async () => {
    const app = uniqueName('prune');
    const ns = app;
    const first = await sync(app, ns, [
      configMap('keep-me', { a: '1' }, { annotations: { 'driftless.dev/prune': 'disabled' } }),
      configMap('mine', { a: '1' }),
    ]);
    expect(first.status).toBe('Synced');
    await kubectl(clusterA(), 'create', 'configmap', 'lookalike', '-n', ns, '--from-literal=a=1');
    const previous: Inventory = {
      ...first.inventory,
      entries: [
        ...first.inventory.entries,
        { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'lookalike' },
      ],
    };
    const second = await sync(app, ns, [configMap('mine', { a: '1' })], previous);
    expect(second.status).toBe('Synced');
    expect(second.objects.find((o) => o.ref.name === 'lookalike')).toMatchObject({
      action: 'Skipped',
      message: expect.stringMatching(/no longer carries this application's marks/),
    });
    expect(second.objects.find((o) => o.ref.name === 'keep-me')).toMatchObject({
      action: 'Skipped',
      message: expect.stringMatching(/prune: disabled/),
    });
    expect(await exists(ns, 'configmap', 'lookalike')).toBe(true);
    expect(await exists(ns, 'configmap', 'keep-me')).toBe(true);
  });

  it('refuses to prune everything unless allowEmpty', async () => {
    const app = uniqueName('empty');
    const first = await sync(app, app, [configMap('a', { x: '1' }), configMap('b', { x: '1' })]);
    const refused = await sync(app, app, [], first.inventory);
    expect(refused.status).toBe('Failed');
    expect(refused.error).toMatch(/would delete all 2 objects.*allowEmpty/);
    expect(await exists(app, 'configmap', 'a')).toBe(true);
    const allowed = await sync(app, app, [], first.inventory, { allowEmpty: true });
    expect(allowed.status).toBe('Synced');
    expect(allowed.counts.Pruned).toBe(2);
    expect(await exists(app, 'configmap', 'a')).toBe(false);
  });

  it('keeps stale objects in the inventory while prune is off', async () => {
    const app = uniqueName('noprune');
    const first = await sync(app, app, [configMap('a', { x: '1' }), configMap('b', { x: '1' })]);
    const second = await sync(app, app, [configMap('a', { x: '1' })], first.inventory, {
      prune: false,
    });
    expect(second.status).toBe('OutOfSync');
    expect(second.inventory.entries.map((e) => e.name).sort()).toEqual(['a', 'b']);
    expect(await exists(app, 'configmap', 'b')).toBe(true);
    const third = await sync(app, app, [configMap('a', { x: '1' })], second.inventory, {
      prune: true,
    });
    expect(third.objects.find((o) => o.ref.name === 'b')?.action).toBe('Pruned');
  });

  it('stops before any write when one object of 50 fails the dry-run, naming the field', async () => {
    const app = uniqueName('fifty');
    const objects: KubeObject[] = Array.from({ length: 49 }, (_, i) =>
      configMap(`cm-${i}`, { i: String(i) }),
    );
    objects.splice(17, 0, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'typo' },
      spec: {
        replicaz: 2,
        selector: { matchLabels: { app: 'typo' } },
        template: {
          metadata: { labels: { app: 'typo' } },
          spec: { containers: [{ name: 'c', image: 'nginx' }] },
        },
      },
    });
    const result = await sync(app, app, objects);
    expect(result.status).toBe('Failed');
    expect(result.error).toMatch(/Deployment .*typo \(manifests.yaml#17\).*replicaz/);
    const listed = await kubectl(
      clusterA(),
      'get',
      'configmaps',
      '-n',
      app,
      '-l',
      `driftless.dev/app=${app}`,
      '-o',
      'name',
    );
    expect(listed.trim()).toBe('');
  });

  it('reports a permission error for the restricted token and applies nothing', async () => {
    const c = clusterA();
    const app = uniqueName('denied');
    const result = await sync(
      app,
      c.restrictedNamespace,
      [
        configMap(`${app}-inside`, { a: '1' }),
        {
          ...configMap(`${app}-outside`, { a: '1' }),
          metadata: { name: `${app}-outside`, namespace: 'default' },
        },
      ],
      undefined,
      { restricted: true, createNamespace: false },
    );
    expect(result.status).toBe('Failed');
    expect(result.error).toMatch(/ConfigMap default\/.*-outside.*permission denied/);
    expect(await exists(c.restrictedNamespace, 'configmap', `${app}-inside`)).toBe(false);
  });

  it('fails clearly on an immutable field, and recreates only with driftless.dev/force', async () => {
    const app = uniqueName('immutable');
    const frozen = (value: string, force = false): KubeObject => ({
      ...configMap(
        'frozen',
        { value },
        force ? { annotations: { 'driftless.dev/force': 'true' } } : {},
      ),
      immutable: true,
    });
    const first = await sync(app, app, [frozen('one')]);
    expect(first.status).toBe('Synced');
    const refused = await sync(
      app,
      app,
      [frozen('two'), configMap('other', { a: '1' })],
      first.inventory,
    );
    expect(refused.status).toBe('Failed');
    expect(refused.error).toMatch(/immutable.*driftless\.dev\/force: "true"/);
    expect(await exists(app, 'configmap', 'other')).toBe(false);
    const uidBefore = (
      JSON.parse(
        await kubectl(clusterA(), 'get', 'configmap', 'frozen', '-n', app, '-o', 'json'),
      ) as KubeObject
    ).metadata.uid;
    const forced = await sync(app, app, [frozen('two', true)], first.inventory);
    expect(forced.status).toBe('Synced');
    expect(forced.objects[0]).toMatchObject({ action: 'Configured', recreated: true });
    const live = JSON.parse(
      await kubectl(clusterA(), 'get', 'configmap', 'frozen', '-n', app, '-o', 'json'),
    ) as KubeObject;
    expect(live.data).toEqual({ value: 'two' });
    expect(live.metadata.uid).not.toBe(uidBefore);
  });

  it('masks Secret values in diffs while showing which keys changed', async () => {
    const app = uniqueName('secret');
    const secret = (password: string): KubeObject => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'creds' },
      stringData: { username: 'admin', password },
    });
    const first = await sync(app, app, [secret('hunter2-old')]);
    const dry = await sync(app, app, [secret('hunter2-new')], first.inventory, { dryRun: true });
    expect(dry.status).toBe('OutOfSync');
    const diff = dry.objects[0]!.diff!;
    expect(diff).not.toMatch(/hunter2|aHVudGVy|admin(?!\S)/);
    expect(diff).toMatch(/^-\s+password: <masked \w+>$/m);
    expect(diff).toMatch(/^\+\s+password: <masked \w+>$/m);
    expect(diff).toMatch(/^\s+username: <masked \w+>$/m);
  });

  it('creates a CRD and its custom resource in one sync, and reads Ready=False as Degraded', async () => {
    const app = uniqueName('crd');
    const group = `${app}.driftless.dev`;
    const crd = widgetCrd(group, [crdVersion('v1', true)]);
    const widget: KubeObject = {
      apiVersion: `${group}/v1`,
      kind: 'Widget',
      metadata: { name: 'gizmo' },
      spec: { size: 3, nested: { anything: ['goes'] } },
    };
    const result = await sync(app, app, [widget, crd], undefined, {
      waitForHealth: true,
      healthTimeoutMs: 20_000,
    });
    expect(result.error).toBeUndefined();
    expect(result.status).toBe('Synced');
    expect(result.health.status).toBe('Healthy');
    const live = JSON.parse(
      await kubectl(clusterA(), 'get', `widgets.${group}`, 'gizmo', '-n', app, '-o', 'json'),
    ) as KubeObject;
    expect(live.spec).toEqual({ size: 3, nested: { anything: ['goes'] } });
    expect(await kubectlDiff(clusterA(), app, app, [crd, widget])).toEqual({
      same: true,
      output: '',
    });

    // What the widget's controller would report.
    const status = {
      status: {
        conditions: [{ type: 'Ready', status: 'False', reason: 'Broken', message: 'gear slipped' }],
      },
    };
    await kubectl(
      clusterA(),
      'patch',
      `widgets.${group}`,
      'gizmo',
      '-n',
      app,
      '--type=merge',
      '-p',
      JSON.stringify(status),
    );
    const broken = await sync(app, app, [widget, crd], result.inventory, {
      waitForHealth: true,
      healthTimeoutMs: 20_000,
    });
    expect(broken.health.status).toBe('Degraded');
    expect(broken.health.message).toMatch(/Widget .*gizmo: Ready: Broken/);
  });

  it('does not take over a custom resource through a CRD version added in the same sync', async () => {
    const owner = uniqueName('crdv-a');
    const other = uniqueName('crdv-b');
    const group = `${owner}.driftless.dev`;
    const widget = (apiVersion: string, size: number): KubeObject => ({
      apiVersion: `${group}/${apiVersion}`,
      kind: 'Widget',
      metadata: { name: 'gizmo' },
      spec: { size },
    });
    // The CRD comes from a cluster admin (no application owns it); one app makes a widget.
    const dir = mkdtempSync(join(tmpdir(), 'driftless-crdv-'));
    writeFileSync(
      join(dir, 'crd.json'),
      JSON.stringify(widgetCrd(group, [crdVersion('v1', true)])),
    );
    await kubectl(clusterA(), 'apply', '-f', join(dir, 'crd.json'));
    rmSync(dir, { recursive: true });
    await kubectl(clusterA(), 'wait', '--for=condition=Established', `crd/widgets.${group}`);
    const first = await sync(owner, owner, [widget('v1', 1)]);
    expect(first.error).toBeUndefined();

    // Another app adopts the CRD (AdoptExisting), adds v2, and declares the
    // same widget in v2: unknown when planned, so the ownership check happens
    // at apply time, and adoption does not extend to another app's object.
    const second = await sync(
      other,
      owner,
      [widgetCrd(group, [crdVersion('v1', true), crdVersion('v2', false)]), widget('v2', 2)],
      undefined,
      { adoptExisting: true },
    );
    expect(second.status).toBe('Failed');
    expect(second.error).toMatch(/Widget .*gizmo .*belongs to application "crdv-a-/);
    const live = JSON.parse(
      await kubectl(clusterA(), 'get', `widgets.v1.${group}`, 'gizmo', '-n', owner, '-o', 'json'),
    ) as KubeObject;
    expect(live.spec).toEqual({ size: 1 });
    expect(live.metadata.annotations?.['driftless.dev/app']).toBe(owner);
  });

  it('sends manifests as plain JSON: a field outside any typed model reaches the server, which names it', async () => {
    const app = uniqueName('plainjson');
    // @kubernetes/client-node's ConfigMap model would drop this field silently; we must not.
    const result = await sync(app, app, [{ ...configMap('odd', { a: '1' }), colour: 'blue' }]);
    expect(result.status).toBe('Failed');
    expect(result.error).toMatch(/ConfigMap .*odd.*\.colour: field not declared in schema/);
    expect(await exists(app, 'configmap', 'odd')).toBe(false);
  });
});
