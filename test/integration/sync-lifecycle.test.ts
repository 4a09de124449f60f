import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../shared/kube/object.ts';
import type { Inventory } from '../../shared/sync/inventory.ts';
import { syncObjects, type SyncObjectsOptions } from '../../shared/sync/sync-objects.ts';
import { cluster, uniqueName } from '../harness/context.ts';
import {
  asRendered,
  configMap,
  contextFor,
  kubectl,
  kubectlDiff,
  syncOn,
} from '../helpers/engine.ts';

const clusterA = () => cluster('cluster-a');

const sync = (
  app: string,
  ns: string,
  objects: KubeObject[],
  previous?: Inventory,
  extra: Partial<SyncObjectsOptions> = {},
) =>
  syncOn(clusterA(), app, ns, objects, previous, {
    waitForHealth: true,
    healthTimeoutMs: 30_000,
    ...extra,
  });

async function resourceVersions(ns: string): Promise<Record<string, string>> {
  const out = JSON.parse(
    await kubectl(clusterA(), 'get', 'configmaps,services,deployments', '-n', ns, '-o', 'json'),
  ) as { items: KubeObject[] };
  return Object.fromEntries(
    out.items.map((o) => [`${o.kind}/${o.metadata.name}`, o.metadata.resourceVersion!]),
  );
}

describe('sync lifecycle on cluster-a', () => {
  it('creates, updates, leaves a no-op untouched and prunes what was removed', async () => {
    const app = uniqueName('life');
    const ns = app;
    const v1 = [
      configMap('settings', { mode: 'blue' }),
      configMap('extra', { keep: 'no' }),
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'web' },
        spec: { selector: { app: 'web' }, ports: [{ port: 80 }] },
      },
    ];
    const first = await sync(app, ns, v1);
    expect(first.error).toBeUndefined();
    expect(first.status).toBe('Synced');
    expect(first.counts.Created).toBe(3);
    expect(first.inventory.entries).toHaveLength(3);
    expect(await kubectlDiff(clusterA(), app, ns, v1)).toEqual({ same: true, output: '' });

    const v2 = [configMap('settings', { mode: 'green' }), ...v1.slice(1)];
    const second = await sync(app, ns, v2, first.inventory);
    expect(second.status).toBe('Synced');
    expect(second.counts).toMatchObject({ Configured: 1, Unchanged: 2 });
    const settings = second.objects.find((o) => o.ref.name === 'settings')!;
    expect(settings.diff).toContain('-  mode: blue');
    expect(settings.diff).toContain('+  mode: green');
    expect(await kubectlDiff(clusterA(), app, ns, v2)).toEqual({ same: true, output: '' });

    const before = await resourceVersions(ns);
    const third = await sync(app, ns, v2, second.inventory);
    expect(third.counts).toMatchObject({ Unchanged: 3, Created: 0, Configured: 0 });
    expect(await resourceVersions(ns)).toEqual(before);

    const v3 = v2.filter((o) => o.metadata.name !== 'extra');
    const fourth = await sync(app, ns, v3, third.inventory);
    expect(fourth.status).toBe('Synced');
    expect(fourth.objects.find((o) => o.ref.name === 'extra')?.action).toBe('Pruned');
    expect(fourth.inventory.entries.map((e) => e.name).sort()).toEqual(['settings', 'web']);
    await expect(kubectl(clusterA(), 'get', 'configmap', 'extra', '-n', ns)).rejects.toThrow(
      /NotFound/,
    );
    expect(await kubectlDiff(clusterA(), app, ns, v3)).toEqual({ same: true, output: '' });
  });

  it('hands over the inventory it may leave behind before the first write', async () => {
    const app = uniqueName('intent');
    const first = await sync(app, app, [configMap('old', { a: '1' })]);
    const intents: string[][] = [];
    const ctx = contextFor(clusterA(), app, app);
    try {
      const result = await syncObjects(
        ctx,
        asRendered([configMap('old', { a: '1' }), configMap('new', { b: '2' })]),
        {
          cluster: 'cluster-a',
          revision: 'r2',
          previous: first.inventory,
          prune: true,
          adoptExisting: false,
          healthTimeoutMs: 300_000,
          applyTimeoutMs: 300_000,
          beforeApply: async (intent) => {
            intents.push(intent.entries.map((e) => e.name).sort());
            // Nothing is written yet when the intent is handed over.
            await expect(kubectl(clusterA(), 'get', 'configmap', 'new', '-n', app)).rejects.toThrow(
              /NotFound/,
            );
          },
        },
      );
      expect(result.status).toBe('Synced');
    } finally {
      ctx.client.close();
    }
    expect(intents).toEqual([['new', 'old']]);
  });
});
