import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../shared/kube/object.ts';
import type { Inventory } from '../../shared/sync/inventory.ts';
import type { SyncObjectsOptions } from '../../shared/sync/sync-objects.ts';
import { cluster, uniqueName } from '../harness/context.ts';
import { configMap, deployment, kubectl, kubectlDiff, syncOn } from '../helpers/engine.ts';

const clusterB = () => cluster('cluster-b');

const sync = (
  app: string,
  objects: KubeObject[],
  previous?: Inventory,
  extra: Partial<SyncObjectsOptions> = {},
) =>
  syncOn(clusterB(), app, app, objects, previous, {
    waitForHealth: true,
    healthTimeoutMs: 45_000,
    ...extra,
  });

describe('health and drift on cluster-b', () => {
  it('waits for a Deployment to become Healthy on the simulated nodes', async () => {
    const app = uniqueName('healthy');
    const result = await sync(app, [deployment('web', 2), configMap('web-config', { a: '1' })]);
    expect(result.status).toBe('Synced');
    expect(result.health).toEqual({ status: 'Healthy' });
    expect(result.objects.find((o) => o.ref.kind === 'Deployment')?.health).toEqual({
      status: 'Healthy',
    });
  });

  it('reports Degraded when Pods cannot be scheduled before the progress deadline', async () => {
    const app = uniqueName('degraded');
    const stuck = deployment('stuck', 1, { progressDeadlineSeconds: 3 });
    (stuck.spec as { template: { spec: Record<string, unknown> } }).template.spec.nodeSelector = {
      'driftless.dev/no-such-node': 'true',
    };
    const result = await sync(app, [stuck]);
    expect(result.status).toBe('Synced');
    expect(result.health.status).toBe('Degraded');
    expect(result.health.message).toMatch(
      /Deployment .*stuck: Progressing: ProgressDeadlineExceeded/,
    );
  });

  it('shows a change by another manager as drift and repairs it (selfHeal)', async () => {
    const app = uniqueName('drift');
    const objects = [deployment('web', 2), configMap('settings', { mode: 'blue' })];
    const first = await sync(app, objects);
    expect(first.status).toBe('Synced');

    await kubectl(clusterB(), 'scale', 'deployment/web', '-n', app, '--replicas=5');
    await kubectl(
      clusterB(),
      'patch',
      'configmap',
      'settings',
      '-n',
      app,
      '--type=merge',
      '-p',
      '{"data":{"mode":"red","extra":"x"}}',
    );

    const check = await sync(app, objects, first.inventory, { dryRun: true });
    expect(check.status).toBe('OutOfSync');
    const dep = check.objects.find((o) => o.ref.kind === 'Deployment')!;
    expect(dep.action).toBe('Configured');
    expect(dep.diff).toMatch(/^-\s+replicas: 5$/m);
    expect(dep.diff).toMatch(/^\+\s+replicas: 2$/m);
    const cm = check.objects.find((o) => o.ref.kind === 'ConfigMap')!;
    expect(cm.diff).toMatch(/^-\s+mode: red$/m);
    // A key added by another manager is theirs: server-side apply leaves it, as kubectl would.
    expect(cm.diff).not.toMatch(/^[-+]\s+extra/m);

    const repaired = await sync(app, objects, first.inventory);
    expect(repaired.status).toBe('Synced');
    expect(repaired.counts.Configured).toBe(2);
    const live = JSON.parse(
      await kubectl(clusterB(), 'get', 'deployment', 'web', '-n', app, '-o', 'json'),
    ) as KubeObject;
    expect((live.spec as { replicas: number }).replicas).toBe(2);
    expect(await kubectlDiff(clusterB(), app, app, objects)).toEqual({ same: true, output: '' });

    const settled = await sync(app, objects, repaired.inventory, { dryRun: true });
    expect(settled.status).toBe('Synced');
  });

  it('refuses a custom resource field its schema does not declare, naming it', async () => {
    const app = uniqueName('lenient');
    const group = `${app}.driftless.dev`;
    const crd: KubeObject = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: `gadgets.${group}` },
      spec: {
        group,
        scope: 'Namespaced',
        names: { plural: 'gadgets', singular: 'gadget', kind: 'Gadget' },
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: {
              openAPIV3Schema: {
                type: 'object',
                properties: { spec: { type: 'object', properties: { size: { type: 'integer' } } } },
              },
            },
          },
        ],
      },
    };
    const first = await sync(app, [crd], undefined, { waitForHealth: true });
    expect(first.status).toBe('Synced');
    const gadget: KubeObject = {
      apiVersion: `${group}/v1`,
      kind: 'Gadget',
      metadata: { name: 'g' },
      spec: { size: 1, sise: 2 },
    };
    const strict = await sync(app, [crd, gadget], first.inventory);
    expect(strict.status).toBe('Failed');
    expect(strict.error).toMatch(/Gadget .*\/g .*\.spec\.sise: field not declared in schema/);

    await expect(kubectl(clusterB(), 'get', `gadgets.${group}`, 'g', '-n', app)).rejects.toThrow(
      /NotFound/,
    );
  });
});
