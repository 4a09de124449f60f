import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { runApplication } from '../../shared/app-run/run-application.ts';
import { Application } from '../../shared/config/application.ts';
import { Cluster } from '../../shared/config/cluster.ts';
import { engineSettings } from '../../shared/engine/settings.ts';
import { connectCluster } from '../../shared/kube/connect.ts';
import type { DriftlessEvent } from '../../shared/observability/events.ts';
import type { AppState } from '../../shared/state/app-state.ts';
import { createStateTable, type StateTable } from '../../shared/state/client.ts';
import { ensureTable } from '../../shared/state/ensure-table.ts';
import { readApp } from '../../shared/state/head.ts';
import { putRegistryEntry } from '../../shared/state/registry.ts';
import { processMessage, type MessageOutcome } from '../../shared/worker/process-message.ts';
import { statusCommand } from '../../cli/commands/status.ts';
import { cluster, uniqueName } from '../harness/context.ts';
import { LOCAL_AWS, localDynamoClient } from '../harness/dynamodb.ts';
import { commitTree } from '../harness/git-fixtures.ts';
import { startGitServer, type GitServer } from '../harness/git-server.ts';
import { kubectl } from '../helpers/engine.ts';

const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers: [{ name: web, image: 'nginx:1.27' }]
`;

function labelledConfigMap(name: string): string {
  return `apiVersion: v1
kind: ConfigMap
metadata:
  name: ${name}
  labels: { tier: web }
data:
  value: one
`;
}

describe('drift detection: every scheduled reconcile looks, selfHeal only decides repair', () => {
  let git: GitServer;
  let cacheDir: string;
  let table: StateTable;
  beforeAll(async () => {
    git = await startGitServer();
    cacheDir = mkdtempSync(join(tmpdir(), 'driftless-drift-'));
    // A table of its own: other files' scheduler runs remove registry entries they do not declare.
    const client = localDynamoClient(inject('dynamo').endpoint);
    const tableName = uniqueName('drift');
    await ensureTable(client, tableName);
    table = createStateTable({ tableName, client });
  });
  afterAll(async () => {
    await git.stop();
    table.client.destroy();
    rmSync(cacheDir, { recursive: true, force: true });
  });

  /** A registered application with a Deployment and two labelled ConfigMaps, synced once. */
  async function synced(automated: boolean) {
    const name = uniqueName(automated ? 'drift-auto' : 'drift-manual');
    const url = git.createRepo(name);
    commitTree(git.repoPath(name), 'main', {
      'app/deploy.yaml': DEPLOYMENT,
      'app/settings.yaml': labelledConfigMap('settings'),
      'app/extra.yaml': labelledConfigMap('extra'),
    });
    const app = Application.parse({
      apiVersion: 'driftless.dev/v1alpha1',
      kind: 'Application',
      metadata: { name },
      spec: {
        source: { repoURL: url, targetRevision: 'main', path: 'app' },
        destination: { cluster: 'cluster-a', namespace: name },
        syncPolicy: {
          ...(automated ? { automated: { prune: true, selfHeal: false } } : {}),
          syncOptions: ['CreateNamespace=true'],
        },
        healthTimeout: '30s',
      },
    });
    const registered = Cluster.parse({
      apiVersion: 'driftless.dev/v1alpha1',
      kind: 'Cluster',
      metadata: { name: 'cluster-a' },
      spec: { kubeconfig: { file: cluster('cluster-a').kubeconfig } },
    });
    await putRegistryEntry(table, { name, file: `apps/${name}.yaml`, app, cluster: registered });
    const settings = engineSettings({ source: { cacheDir } });
    const first = await runApplication({
      table,
      app,
      settings,
      connect: () => connectCluster(registered),
      owner: uniqueName('owner'),
      trigger: automated ? { kind: 'schedule', by: 'test' } : { kind: 'manual', by: 'test' },
      mode: automated ? 'auto' : 'sync',
    });
    expect(first).toMatchObject({ status: 'done', result: { status: 'Synced' } });
    const events: DriftlessEvent[] = [];
    /** One scheduled reconcile, through the reconciler's own message handling. */
    const tick = async (): Promise<MessageOutcome> => {
      const handled = await processMessage(
        JSON.stringify({
          app: name,
          mode: 'auto',
          trigger: { kind: 'schedule', by: 'test' },
          enqueuedAt: Date.now(),
        }),
        uniqueName('owner'),
        {
          table,
          settings,
          connect: connectCluster,
          events: { publish: async (list) => void events.push(...list) },
        },
      );
      expect(handled.kind).toBe('done');
      return handled;
    };
    const record = async () => (await readApp(table, name))!;
    const state = async (): Promise<AppState> => (await record()).state!;
    const k = (...args: string[]) => kubectl(cluster('cluster-a'), ...args, '-n', name);
    /** A dry run someone asks for (`driftless sync --dry-run`, the API's diff). */
    const dryRun = () =>
      processMessage(
        JSON.stringify({
          app: name,
          mode: 'diff',
          trigger: { kind: 'manual', by: 'test' },
          enqueuedAt: Date.now(),
        }),
        uniqueName('owner'),
        { table, settings, connect: connectCluster, events: { publish: async () => undefined } },
      );
    return { name, tick, events, record, state, k, dryRun };
  }

  type Drifting = Awaited<ReturnType<typeof synced>>;

  /** kubectl scale, a label edit and a deleted object: each seen at the next tick, none repaired. */
  async function drifts({ tick, events, record, state, k }: Drifting): Promise<void> {
    // In sync: the tick is the skip it always was, and writes no state.
    const quietFrom = (await record()).stateWrittenBy;
    expect(await tick()).toMatchObject({ outcome: { status: 'skipped', reason: 'unchanged' } });
    expect((await record()).stateWrittenBy).toEqual(quietFrom);
    expect(events).toEqual([]);

    await k('scale', 'deployment/web', '--replicas=2');
    expect(await tick()).toMatchObject({ outcome: { status: 'done', drift: { detected: true } } });
    const scaled = await state();
    expect(scaled).toMatchObject({
      syncStatus: 'OutOfSync',
      driftedSince: expect.any(Number),
      drifted: [
        {
          kind: 'Deployment',
          name: 'web',
          action: 'Configured',
          reason: expect.stringMatching(/replicas: 2/),
        },
      ],
    });
    expect(await k('get', 'deployment/web', '-o', 'jsonpath={.spec.replicas}')).toBe('2');

    await k('label', 'configmap/settings', 'tier=edited', '--overwrite');
    expect(await tick()).toMatchObject({ outcome: { drift: { detected: false } } });
    await k('delete', 'configmap/extra');
    expect(await tick()).toMatchObject({ outcome: { drift: { detected: false, count: 3 } } });
    const all = await state();
    expect(all.driftedSince).toBe(scaled.driftedSince);
    expect(all.drifted).toEqual([
      expect.objectContaining({ kind: 'ConfigMap', name: 'extra', action: 'Created' }),
      expect.objectContaining({
        kind: 'ConfigMap',
        name: 'settings',
        action: 'Configured',
        reason: expect.stringMatching(/tier: edited/),
      }),
      expect.objectContaining({ kind: 'Deployment', name: 'web', action: 'Configured' }),
    ]);
    // Nothing repaired: the cluster stays as the person left it.
    expect(await k('get', 'deployment/web', '-o', 'jsonpath={.spec.replicas}')).toBe('2');
    expect(await k('get', 'configmap/settings', '-o', 'jsonpath={.metadata.labels.tier}')).toBe(
      'edited',
    );
    await expect(k('get', 'configmap/extra')).rejects.toThrow(/NotFound|not found/);
    // One episode, one event, however many ticks saw it.
    expect(events.map((e) => e.detailType)).toEqual(['Drift Detected']);
    expect(events[0]!.detail).toMatchObject({
      app: expect.any(String),
      driftedSince: scaled.driftedSince,
      drifted: [expect.objectContaining({ kind: 'Deployment', name: 'web' })],
    });
  }

  /** Put back by hand, whoever does it: the next tick finds the app in sync again. */
  async function fixedByHand({ tick, events, state, k }: Drifting, live: string): Promise<void> {
    await k('scale', 'deployment/web', '--replicas=1');
    await k('label', 'configmap/settings', 'tier=web', '--overwrite');
    const file = join(cacheDir, `${uniqueName('restored')}.json`);
    writeFileSync(file, live);
    await k('create', '-f', file);
    expect(await tick()).toMatchObject({ outcome: { status: 'skipped', reason: 'unchanged' } });
    const clean = await state();
    expect(clean.syncStatus).toBe('Synced');
    expect(clean.driftedSince).toBeUndefined();
    expect(clean.drifted).toBeUndefined();
    // A new episode is a new event.
    await k('scale', 'deployment/web', '--replicas=3');
    await tick();
    await tick();
    expect(events.map((e) => e.detailType)).toEqual(['Drift Detected', 'Drift Detected']);
  }

  /** The deleted ConfigMap as a person would put it back: as it was, without server fields. */
  async function exported(k: Drifting['k']): Promise<string> {
    const object = JSON.parse(await k('get', 'configmap/extra', '-o', 'json')) as {
      metadata: Record<string, unknown>;
    };
    for (const field of ['resourceVersion', 'uid', 'creationTimestamp', 'managedFields'])
      delete object.metadata[field];
    return JSON.stringify(object);
  }

  it('an automated application without selfHeal: drift is recorded, not repaired, and clears when fixed', async () => {
    const app = await synced(true);
    const live = await exported(app.k);
    await drifts(app);
    await fixedByHand(app, live);
  });

  it('a manual application after its first sync: drift is recorded and clears when fixed', async () => {
    const app = await synced(false);
    const live = await exported(app.k);
    await drifts(app);
    await fixedByHand(app, live);
  });

  it('a dry run someone asks for keeps the drift episode, and the next tick still repairs nothing', async () => {
    const app = await synced(true);
    await app.k('scale', 'deployment/web', '--replicas=2');
    await app.tick();
    const since = (await app.state()).driftedSince;
    expect(since).toEqual(expect.any(Number));
    expect(await app.dryRun()).toMatchObject({ kind: 'done', outcome: { status: 'done' } });
    expect((await app.state()).driftedSince).toBe(since);
    await app.tick();
    expect((await app.state()).driftedSince).toBe(since);
    expect(await app.k('get', 'deployment/web', '-o', 'jsonpath={.spec.replicas}')).toBe('2');
  });

  it('status shows OutOfSync since when, and -o json the drifted objects', async () => {
    const app = await synced(true);
    await app.k('scale', 'deployment/web', '--replicas=2');
    await app.tick();
    const env = {
      AWS_ENDPOINT_URL_DYNAMODB: inject('dynamo').endpoint,
      AWS_REGION: LOCAL_AWS.region,
      AWS_ACCESS_KEY_ID: LOCAL_AWS.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_AWS.credentials.secretAccessKey,
    };
    for (const [key, value] of Object.entries(env)) vi.stubEnv(key, value);
    const out: string[] = [];
    const write = vi
      .spyOn(process.stdout, 'write')
      .mockImplementation((chunk) => out.push(String(chunk)) > 0);
    try {
      await statusCommand(['--table', table.tableName, app.name]);
      await statusCommand(['--table', table.tableName, app.name, '-o', 'json']);
    } finally {
      write.mockRestore();
      vi.unstubAllEnvs();
    }
    const since = new Date((await app.state()).driftedSince!).toISOString();
    expect(out[0]).toMatch(
      new RegExp(`OutOfSync .*drifted since ${since} .*Deployment ${app.name}/web changed`),
    );
    expect(JSON.parse(out[1]!)).toMatchObject({
      state: {
        syncStatus: 'OutOfSync',
        drifted: [{ kind: 'Deployment', name: 'web', action: 'Configured' }],
      },
    });
  });
});
