import { AppsV1Api, CoreV1Api, type V1Deployment } from '@kubernetes/client-node';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { cluster, kubeConfigOf, uniqueName } from '../harness/context.ts';

async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 45_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

function statusCode(err: unknown): number | undefined {
  return (err as { code?: number }).code;
}

function deployment(
  name: string,
  replicas: number,
  extra: Partial<V1Deployment['spec']> = {},
): V1Deployment {
  return {
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] },
      },
      ...extra,
    },
  };
}

describe('local control planes', () => {
  it.each(['cluster-a', 'cluster-b'] as const)(
    '%s: creates a Namespace and a ConfigMap',
    async (name) => {
      const core = kubeConfigOf(cluster(name).kubeconfig).makeApiClient(CoreV1Api);
      const ns = uniqueName('smoke');
      await core.createNamespace({ body: { metadata: { name: ns } } });
      await core.createNamespacedConfigMap({
        namespace: ns,
        body: { metadata: { name: 'settings' }, data: { cluster: name } },
      });
      const read = await core.readNamespacedConfigMap({ namespace: ns, name: 'settings' });
      expect(read.data).toEqual({ cluster: name });
    },
  );

  it('keeps the two clusters apart (separate etcd prefixes)', async () => {
    const a = kubeConfigOf(cluster('cluster-a').kubeconfig).makeApiClient(CoreV1Api);
    const b = kubeConfigOf(cluster('cluster-b').kubeconfig).makeApiClient(CoreV1Api);
    const ns = uniqueName('only-a');
    await a.createNamespace({ body: { metadata: { name: ns } } });
    await expect(b.readNamespace({ name: ns })).rejects.toSatisfy((e) => statusCode(e) === 404);
  });

  it('refuses the restricted token outside its namespace (403) and allows it inside', async () => {
    const c = cluster('cluster-a');
    const core = kubeConfigOf(c.restrictedKubeconfig).makeApiClient(CoreV1Api);
    await expect(
      core.createNamespacedConfigMap({
        namespace: 'default',
        body: { metadata: { name: uniqueName('nope') } },
      }),
    ).rejects.toSatisfy((e) => statusCode(e) === 403);
    await expect(core.listNamespace()).rejects.toSatisfy((e) => statusCode(e) === 403);
    const created = await core.createNamespacedConfigMap({
      namespace: c.restrictedNamespace,
      body: { metadata: { name: uniqueName('allowed') } },
    });
    expect(created.metadata?.uid).toBeTruthy();
  });

  it('garbage-collects a dependent when its owner is deleted', async () => {
    const core = kubeConfigOf(cluster('cluster-a').kubeconfig).makeApiClient(CoreV1Api);
    const ns = uniqueName('gc');
    await core.createNamespace({ body: { metadata: { name: ns } } });
    const owner = await core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: 'owner' } },
    });
    await core.createNamespacedConfigMap({
      namespace: ns,
      body: {
        metadata: {
          name: 'dependent',
          ownerReferences: [
            { apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata!.uid! },
          ],
        },
      },
    });
    await core.deleteNamespacedConfigMap({
      namespace: ns,
      name: 'owner',
      propagationPolicy: 'Background',
    });
    await eventually('dependent to be garbage-collected', async () => {
      try {
        await core.readNamespacedConfigMap({ namespace: ns, name: 'dependent' });
        return undefined;
      } catch (err) {
        return statusCode(err) === 404 ? true : undefined;
      }
    });
  });

  it('deletes a namespace with its contents', async () => {
    const core = kubeConfigOf(cluster('cluster-b').kubeconfig).makeApiClient(CoreV1Api);
    const ns = uniqueName('gone');
    await core.createNamespace({ body: { metadata: { name: ns } } });
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'inside' } } });
    await core.deleteNamespace({ name: ns });
    await eventually('namespace to disappear', async () => {
      try {
        await core.readNamespace({ name: ns });
        return undefined;
      } catch (err) {
        return statusCode(err) === 404 ? true : undefined;
      }
    });
  });

  it('rolls out a Deployment of 2 replicas to Available on the simulated nodes', async () => {
    const kc = kubeConfigOf(cluster('cluster-a').kubeconfig);
    const core = kc.makeApiClient(CoreV1Api);
    const apps = kc.makeApiClient(AppsV1Api);
    const ns = uniqueName('deploy');
    await core.createNamespace({ body: { metadata: { name: ns } } });
    await apps.createNamespacedDeployment({ namespace: ns, body: deployment('web', 2) });
    const status = await eventually('Deployment to become Available', async () => {
      const d = await apps.readNamespacedDeployment({ namespace: ns, name: 'web' });
      const available = d.status?.conditions?.find(
        (c) => c.type === 'Available' && c.status === 'True',
      );
      return available && d.status?.readyReplicas === 2 ? d.status : undefined;
    });
    expect(status.availableReplicas).toBe(2);
  });

  it('reports ProgressDeadlineExceeded for a Deployment whose Pods cannot be scheduled', async () => {
    const kc = kubeConfigOf(cluster('cluster-b').kubeconfig);
    const core = kc.makeApiClient(CoreV1Api);
    const apps = kc.makeApiClient(AppsV1Api);
    const ns = uniqueName('stuck');
    await core.createNamespace({ body: { metadata: { name: ns } } });
    const d = deployment('stuck', 1, { progressDeadlineSeconds: 3 });
    d.spec!.template.spec!.nodeSelector = { 'driftless.dev/no-such-node': 'true' };
    await apps.createNamespacedDeployment({ namespace: ns, body: d });
    const condition = await eventually('ProgressDeadlineExceeded', async () => {
      const live = await apps.readNamespacedDeployment({ namespace: ns, name: 'stuck' });
      return live.status?.conditions?.find(
        (c) => c.type === 'Progressing' && c.reason === 'ProgressDeadlineExceeded',
      );
    });
    expect(condition.status).toBe('False');
  });
});
