import { describe, expect, it } from 'vitest';
import { KubeApiError } from '../../shared/kube/errors.ts';
import type { KubeObject } from '../../shared/kube/object.ts';
import type { Inventory } from '../../shared/sync/inventory.ts';
import type { SyncObjectsOptions } from '../../shared/sync/sync-objects.ts';
import { cluster, uniqueName } from '../harness/context.ts';
import { clientFor, configMap, crdVersion, syncOn, widgetCrd } from '../helpers/engine.ts';

const clusterA = () => cluster('cluster-a');
const CASCADE = { 'driftless.dev/prune-cascade': 'true' };

const sync = (
  app: string,
  objects: KubeObject[],
  previous?: Inventory,
  extra: Partial<SyncObjectsOptions> = {},
) => syncOn(clusterA(), app, app, objects, previous, { healthTimeoutMs: 30_000, ...extra });

const widget = (group: string, name: string, namespace?: string): KubeObject => ({
  apiVersion: `${group}/v1`,
  kind: 'Widget',
  metadata: { name, ...(namespace ? { namespace } : {}) },
  spec: { size: 1 },
});

const namespace = (name: string, annotations: Record<string, string> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name, annotations },
});

/** Reads an object with the admin client; undefined once it is gone. */
async function read(path: string): Promise<KubeObject | undefined> {
  const client = clientFor(clusterA());
  try {
    return await client.request<KubeObject>({ method: 'GET', path });
  } catch (err) {
    if (err instanceof KubeApiError && err.notFound) return undefined;
    throw err;
  } finally {
    client.close();
  }
}

/** Creates an object no application owns, as a person with kubectl would. */
async function createByHand(path: string, object: KubeObject): Promise<void> {
  const client = clientFor(clusterA());
  try {
    await client.request({ method: 'POST', path, body: object });
  } finally {
    client.close();
  }
}

const widgetPath = (group: string, ns: string, name = '') =>
  `/apis/${group}/v1/namespaces/${ns}/widgets${name ? `/${name}` : ''}`;
const crdPath = (group: string) =>
  `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.${group}`;
const configMapPath = (ns: string, name = '') =>
  `/api/v1/namespaces/${ns}/configmaps${name ? `/${name}` : ''}`;

async function gone(path: string, timeoutMs = 60_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!(await read(path))) return true;
    await new Promise((r) => setTimeout(r, 500));
  }
  return false;
}

describe('prune guard on cluster-a', () => {
  it('refuses to prune a CRD whose custom resource the source still has, deleting nothing', async () => {
    const app = uniqueName('guard-crd');
    const group = `${app}.driftless.dev`;
    const crd = widgetCrd(group, [crdVersion('v1', true)]);
    const first = await sync(app, [crd, widget(group, 'gizmo'), configMap('plain', { a: '1' })]);
    expect(first.error).toBeUndefined();

    // Only the CRD's file is removed; its custom resource is still declared.
    const second = await sync(
      app,
      [widget(group, 'gizmo'), configMap('plain', { a: '2' })],
      first.inventory,
    );
    expect(second.status).toBe('Failed');
    expect(second.phase).toBe('diff');
    expect(second.error).toMatch(/CustomResourceDefinition widgets\./);
    expect(second.error).toMatch(new RegExp(`Widget ${app}/gizmo`));
    expect(second.error).toMatch(/nothing was applied or deleted/);
    expect(second.inventory).toEqual(first.inventory);
    expect(await read(crdPath(group))).toBeDefined();
    expect(await read(widgetPath(group, app, 'gizmo'))).toBeDefined();
    // Nothing applied either: the ConfigMap keeps its first value.
    expect((await read(configMapPath(app, 'plain')))?.data).toEqual({ a: '1' });
  });

  it('holds back a CRD that still has an unowned custom resource, prunes what it owns, and prunes the CRD once it is empty', async () => {
    const app = uniqueName('guard-cr');
    const group = `${app}.driftless.dev`;
    const crd = widgetCrd(group, [crdVersion('v1', true)]);
    const first = await sync(app, [crd, widget(group, 'gizmo'), configMap('plain', { a: '1' })]);
    expect(first.error).toBeUndefined();
    await createByHand(widgetPath(group, app), widget(group, 'stray'));

    const second = await sync(app, [configMap('plain', { a: '1' })], first.inventory);
    expect(second.error).toBeUndefined();
    expect(second.status).toBe('OutOfSync');
    const held = second.objects.find((o) => o.ref.kind === 'CustomResourceDefinition');
    expect(held?.action).toBe('Skipped');
    expect(held?.heldBack).toBe(true);
    expect(held?.message).toMatch(
      new RegExp(`held back.*Widget ${app}/stray.*driftless.dev/prune-cascade`),
    );
    expect(held?.takes).toEqual({
      objects: [{ apiVersion: `${group}/v1`, kind: 'Widget', namespace: app, name: 'stray' }],
      total: 1,
    });
    expect(second.objects.find((o) => o.ref.name === 'gizmo')?.action).toBe('Pruned');
    expect(second.inventory.entries.map((e) => e.kind)).toContain('CustomResourceDefinition');
    expect(await read(crdPath(group))).toBeDefined();
    expect(await read(widgetPath(group, app, 'stray'))).toBeDefined();
    expect(await gone(widgetPath(group, app, 'gizmo'))).toBe(true);

    // Once the unowned resource is gone, a later sync prunes the CRD it kept.
    const client = clientFor(clusterA());
    await client.request({ method: 'DELETE', path: widgetPath(group, app, 'stray') });
    client.close();
    expect(await gone(widgetPath(group, app, 'stray'))).toBe(true);
    const third = await sync(app, [configMap('plain', { a: '1' })], second.inventory);
    expect(third.status).toBe('Synced');
    expect(third.objects.find((o) => o.ref.kind === 'CustomResourceDefinition')?.action).toBe(
      'Pruned',
    );
    expect(await gone(crdPath(group))).toBe(true);
  });

  it('holds back a Namespace holding an unowned ConfigMap, a dry run saying so', async () => {
    const app = uniqueName('guard-ns');
    const extra = `${app}-x`;
    const first = await sync(app, [namespace(extra), configMap('plain', { a: '1' })]);
    expect(first.error).toBeUndefined();
    await createByHand(configMapPath(extra), configMap('hand', { made: 'by hand' }));

    const dry = await sync(app, [configMap('plain', { a: '1' })], first.inventory, {
      dryRun: true,
    });
    expect(dry.status).toBe('OutOfSync');
    const planned = dry.objects.find((o) => o.ref.kind === 'Namespace');
    expect(planned?.action).toBe('Skipped');
    expect(planned?.message).toMatch(new RegExp(`held back.*ConfigMap ${extra}/hand`));

    const second = await sync(app, [configMap('plain', { a: '1' })], first.inventory);
    expect(second.error).toBeUndefined();
    expect(second.status).toBe('OutOfSync');
    const held = second.objects.find((o) => o.ref.kind === 'Namespace');
    expect(held?.action).toBe('Skipped');
    expect(held?.heldBack).toBe(true);
    expect(held?.message).toMatch(new RegExp(`ConfigMap ${extra}/hand`));
    // Only what the control plane puts in every namespace is left out.
    expect(held?.takes?.total).toBe(1);
    expect(second.inventory.entries.some((e) => e.kind === 'Namespace')).toBe(true);
    const live = await read(`/api/v1/namespaces/${extra}`);
    expect(live?.metadata.deletionTimestamp).toBeUndefined();
    expect(await read(configMapPath(extra, 'hand'))).toBeDefined();
  });

  it('prunes a Namespace opted in to cascade with what it holds, which a dry run lists first', async () => {
    const app = uniqueName('guard-cascade');
    const extra = `${app}-x`;
    const first = await sync(app, [namespace(extra, CASCADE), configMap('plain', { a: '1' })]);
    expect(first.error).toBeUndefined();
    await createByHand(configMapPath(extra), configMap('hand', { made: 'by hand' }));

    const dry = await sync(app, [configMap('plain', { a: '1' })], first.inventory, {
      dryRun: true,
    });
    const planned = dry.objects.find((o) => o.ref.kind === 'Namespace');
    expect(planned?.action).toBe('Pruned');
    expect(planned?.message).toMatch(new RegExp(`would delete with it: ConfigMap ${extra}/hand`));

    const second = await sync(app, [configMap('plain', { a: '1' })], first.inventory);
    expect(second.error).toBeUndefined();
    expect(second.status).toBe('Synced');
    const pruned = second.objects.find((o) => o.ref.kind === 'Namespace');
    expect(pruned?.action).toBe('Pruned');
    expect(pruned?.message).toMatch(new RegExp(`deleted with it: ConfigMap ${extra}/hand`));
    expect(await gone(`/api/v1/namespaces/${extra}`)).toBe(true);
    expect(await read(configMapPath(extra, 'hand'))).toBeUndefined();
  });

  it('lists in a dry run the custom resources a cascading CRD would take, then prunes both', async () => {
    const app = uniqueName('guard-crdc');
    const group = `${app}.driftless.dev`;
    const crd = widgetCrd(group, [crdVersion('v1', true)]);
    crd.metadata.annotations = CASCADE;
    const first = await sync(app, [crd, configMap('plain', { a: '1' })]);
    expect(first.error).toBeUndefined();
    await createByHand(widgetPath(group, app), widget(group, 'stray'));

    const dry = await sync(app, [configMap('plain', { a: '1' })], first.inventory, {
      dryRun: true,
    });
    const planned = dry.objects.find((o) => o.ref.kind === 'CustomResourceDefinition');
    expect(planned?.action).toBe('Pruned');
    expect(planned?.message).toMatch(new RegExp(`would delete with it: Widget ${app}/stray`));
    expect(await read(crdPath(group))).toBeDefined();

    const second = await sync(app, [configMap('plain', { a: '1' })], first.inventory);
    expect(second.status).toBe('Synced');
    expect(await gone(crdPath(group))).toBe(true);
  });
});
