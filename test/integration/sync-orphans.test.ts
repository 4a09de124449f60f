import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { KubeClient } from '../../shared/kube/client.ts';
import { Discovery } from '../../shared/kube/discovery.ts';
import { KubeApiError } from '../../shared/kube/errors.ts';
import { objectKey, type KubeObject, type ObjectRef } from '../../shared/kube/object.ts';
import type { SyncContext } from '../../shared/sync/context.ts';
import { findOrphans, type OrphanIgnore } from '../../shared/sync/orphans.ts';
import { withOwnerMarks } from '../../shared/sync/ownership.ts';
import { cluster, uniqueName } from '../harness/context.ts';
import { clientFor, configMap, deployment } from '../helpers/engine.ts';

const APP = 'orphans-app';
const clusterA = () => cluster('cluster-a');
const admin = clientFor(clusterA());
const clients: KubeClient[] = [admin];

afterAll(() => {
  for (const client of clients) client.close();
});

function contextOf(client: KubeClient, signal?: AbortSignal): SyncContext {
  return { client, discovery: new Discovery(client), app: APP, concurrency: 8, signal };
}

/** Where the objects of these tests are created. */
const COLLECTIONS: Record<string, string> = {
  ConfigMap: '/api/v1/namespaces/NS/configmaps',
  Secret: '/api/v1/namespaces/NS/secrets',
  Service: '/api/v1/namespaces/NS/services',
  Endpoints: '/api/v1/namespaces/NS/endpoints',
  ServiceAccount: '/api/v1/namespaces/NS/serviceaccounts',
  Deployment: '/apis/apps/v1/namespaces/NS/deployments',
  Role: '/apis/rbac.authorization.k8s.io/v1/namespaces/NS/roles',
  RoleBinding: '/apis/rbac.authorization.k8s.io/v1/namespaces/NS/rolebindings',
  Lease: '/apis/coordination.k8s.io/v1/namespaces/NS/leases',
  EndpointSlice: '/apis/discovery.k8s.io/v1/namespaces/NS/endpointslices',
};

async function create(ns: string, object: KubeObject): Promise<void> {
  const collection = COLLECTIONS[object.kind];
  if (!collection) throw new Error(`no collection for ${object.kind}`);
  await admin.request({ method: 'POST', path: collection.replace('NS', ns), body: object });
}

async function createNamespace(name: string): Promise<void> {
  await admin.request({
    method: 'POST',
    path: '/api/v1/namespaces',
    body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name } },
  });
}

/** Names of the objects in one collection of `ns`. */
async function names(ns: string, path: string): Promise<string[]> {
  const list = await admin.request<{ items: { metadata: { name: string } }[] }>({
    method: 'GET',
    path: path.replace('NS', ns),
  });
  return list.items.map((i) => i.metadata.name);
}

/** Waits until `check` holds: the controller manager works on its own time. */
async function until(what: string, check: () => Promise<boolean>, timeoutMs = 45_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

const ref = (ns: string, apiVersion: string, kind: string, name: string): ObjectRef => ({
  apiVersion,
  kind,
  namespace: ns,
  name,
});

describe('findOrphans', () => {
  const ns = uniqueName('orphans');
  const declared = new Set<string>();
  const ignore: OrphanIgnore[] = [
    // By name glob: hides ignored-tmp-1, not stray.
    { group: '', kind: 'ConfigMap', name: 'ignored-*' },
    // By kind glob (and group glob): hides the Role made by hand.
    { group: 'rbac.*', kind: 'Ro?e' },
  ];

  it('reports only what nothing declared, marked, owns, ignores or made by itself', async () => {
    await createNamespace(ns);
    // The application's objects: marked and declared, or declared and not marked (yet).
    const own = [
      withOwnerMarks(configMap('app-config', { a: '1' }), APP),
      configMap('declared-unmarked', { a: '1' }),
      deployment('web', 1),
    ];
    for (const object of own) {
      await create(ns, object);
      declared.add(objectKey({ ...object, namespace: ns, name: object.metadata.name ?? '' }));
    }
    // Another Driftless application's object, and one carrying only the managed-by label.
    await create(ns, withOwnerMarks(configMap('other-config', { b: '1' }), 'another-app'));
    await create(
      ns,
      configMap('label-only', {}, { labels: { 'app.kubernetes.io/managed-by': 'driftless' } }),
    );
    // Made by hand.
    await create(ns, configMap('stray', { c: '1' }));
    await create(ns, configMap('ignored-tmp-1', { c: '1' }));
    await create(ns, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'stray-secret' },
      stringData: { token: 'x' },
    });
    await create(ns, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'hand-role' },
      rules: [],
    });
    await create(ns, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'hand-svc' },
      spec: { selector: { app: 'web' }, ports: [{ port: 80 }] },
    });
    // Endpoints without a Service of its name: no controller made it.
    await create(ns, { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'lonely' } });
    // EndpointSlices made by hand, one for the Service above, one for no Service.
    for (const [name, service] of [
      ['hand-svc-extra', 'hand-svc'],
      ['stray-slice', 'missing'],
    ] as const)
      await create(ns, {
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: { name, labels: { 'kubernetes.io/service-name': service } },
        addressType: 'IPv4',
        endpoints: [],
      });
    // A leader-election Lease, as a controller would keep one.
    await create(ns, {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'some-controller-leader' },
      spec: { holderIdentity: 'pod-1' },
    });

    // What the control plane makes: the Deployment's ReplicaSet (and Pods, Events), the
    // Service's Endpoints and EndpointSlice, the namespace's ServiceAccount and CA bundle.
    await until('the ReplicaSet, Pod, Events, Endpoints and defaults', async () => {
      const [rs, pods, events, ep, slices, sa, cm] = await Promise.all([
        names(ns, '/apis/apps/v1/namespaces/NS/replicasets'),
        names(ns, '/api/v1/namespaces/NS/pods'),
        names(ns, '/api/v1/namespaces/NS/events'),
        names(ns, COLLECTIONS.Endpoints as string),
        names(ns, COLLECTIONS.EndpointSlice as string),
        names(ns, COLLECTIONS.ServiceAccount as string),
        names(ns, COLLECTIONS.ConfigMap as string),
      ]);
      return (
        rs.length > 0 &&
        pods.length > 0 &&
        events.length > 0 &&
        ep.includes('hand-svc') &&
        slices.some((n) => n.startsWith('hand-svc-') && n !== 'hand-svc-extra') &&
        sa.includes('default') &&
        cm.includes('kube-root-ca.crt')
      );
    });

    const report = await findOrphans(contextOf(admin), { namespaces: [ns], declared, ignore });
    expect(report).toEqual({
      objects: [
        ref(ns, 'v1', 'ConfigMap', 'stray'),
        ref(ns, 'v1', 'Endpoints', 'lonely'),
        ref(ns, 'v1', 'Secret', 'stray-secret'),
        ref(ns, 'v1', 'Service', 'hand-svc'),
        ref(ns, 'discovery.k8s.io/v1', 'EndpointSlice', 'stray-slice'),
      ],
      total: 5,
      errors: [],
    });
  });

  it("never reports the default namespace's kubernetes Service, its Endpoints or EndpointSlice", async () => {
    // Other test files may leave objects in default: only these three are looked at.
    const report = await findOrphans(contextOf(admin), {
      namespaces: ['default'],
      declared: new Set(),
      ignore: [],
    });
    expect(report.errors).toEqual([]);
    expect(report.objects.filter((o) => o.name === 'kubernetes')).toEqual([]);
  });

  it('hides kinds the project does not permit, without listing them', async () => {
    const report = await findOrphans(contextOf(admin), {
      namespaces: [ns, ns],
      declared,
      ignore,
      permitted: (group, kind) => !(group === '' && kind === 'Secret'),
    });
    expect(report.objects.map((o) => `${o.kind}/${o.name}`)).toEqual([
      'ConfigMap/stray',
      'Endpoints/lonely',
      'Service/hand-svc',
      'EndpointSlice/stray-slice',
    ]);
    expect(report.errors).toEqual([]);
  });

  it('pages through long lists, names at most 50 and counts the rest', async () => {
    const many = uniqueName('orphans-many');
    await createNamespace(many);
    for (let i = 0; i < 60; i++)
      await create(many, configMap(`cm-${String(i).padStart(2, '0')}`, { i: String(i) }));
    const report = await findOrphans(contextOf(admin), {
      namespaces: [many],
      declared: new Set(),
      ignore: [],
      limits: { pageSize: 7 },
    });
    expect(report.total).toBe(60);
    expect(report.errors).toEqual([]);
    expect(report.objects).toHaveLength(50);
    expect(report.objects.map((o) => o.name)).toEqual(
      Array.from({ length: 50 }, (_, i) => `cm-${String(i).padStart(2, '0')}`),
    );

    // Bounded: the namespace stops being listed after so many objects, and says so.
    const bounded = await findOrphans(contextOf(admin), {
      namespaces: [many],
      declared: new Set(),
      ignore: [],
      limits: { pageSize: 7, seenPerNamespace: 20 },
    });
    expect(bounded.total).toBeLessThanOrEqual(20);
    expect(bounded.errors).toEqual([
      `namespace "${many}": stopped after 20 objects; the rest of the namespace was not checked`,
    ]);
  });

  it('names the kinds it may not list, per namespace, and does not throw', async () => {
    const open = uniqueName('orphans-open');
    const closed = uniqueName('orphans-closed');
    await createNamespace(open);
    await createNamespace(closed);
    await create(open, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'reader' } });
    await create(open, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'list-all' },
      rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['list'] }],
    });
    await create(open, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'reader-lists' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'list-all' },
      subjects: [{ kind: 'ServiceAccount', name: 'reader', namespace: open }],
    });
    await create(open, configMap('stray-open', {}));
    await create(closed, configMap('stray-closed', {}));
    const a = clusterA();
    const reader = new KubeClient({
      server: a.server,
      ca: readFileSync(a.caFile),
      token: a.adminToken,
      impersonate: { user: `system:serviceaccount:${open}:reader` },
    });
    clients.push(reader);
    // The authorizer sees a new RoleBinding a moment after it is stored.
    await until('the RoleBinding to take effect', async () => {
      try {
        await reader.request({ method: 'GET', path: `/api/v1/namespaces/${open}/configmaps` });
        return true;
      } catch (err) {
        if (err instanceof KubeApiError && err.forbidden) return false;
        throw err;
      }
    });

    // The reader's own ServiceAccount and rights are the application's.
    const setup = new Set([
      objectKey(ref(open, 'v1', 'ServiceAccount', 'reader')),
      objectKey(ref(open, 'rbac.authorization.k8s.io/v1', 'Role', 'list-all')),
      objectKey(ref(open, 'rbac.authorization.k8s.io/v1', 'RoleBinding', 'reader-lists')),
    ]);
    const report = await findOrphans(contextOf(reader), {
      namespaces: [open, closed],
      declared: setup,
      ignore: [],
    });
    expect(report.objects).toEqual([ref(open, 'v1', 'ConfigMap', 'stray-open')]);
    expect(report.total).toBe(1);
    expect(report.errors).toHaveLength(1);
    const [error] = report.errors;
    expect(error).toMatch(new RegExp(`^namespace "${closed}": cannot list .*: Forbidden$`));
    for (const kind of ['ConfigMap', 'Secret', 'Service', 'Deployment.apps', 'Role.rbac'])
      expect(error).toContain(kind);
    // Kinds Kubernetes fills by itself are not listed at all.
    expect(error).not.toMatch(/\bEvent\b|Lease/);
  });

  it('stops when the signal is aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('lease lost'));
    await expect(
      findOrphans(contextOf(admin, controller.signal), {
        namespaces: [ns],
        declared,
        ignore,
      }),
    ).rejects.toThrow('lease lost');

    const later = new AbortController();
    const pending = findOrphans(contextOf(admin, later.signal), {
      namespaces: [ns],
      declared,
      ignore,
    });
    later.abort(new Error('lease lost later'));
    await expect(pending).rejects.toThrow('lease lost later');
  });
});
