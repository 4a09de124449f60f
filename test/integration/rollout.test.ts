import { mkdtempSync, rmSync } from 'node:fs';
import { engineSettings } from '../../shared/engine/settings.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Application } from '../../shared/config/application.ts';
import { CloudWatchAlarmSource } from '../../shared/rollback/alarms.ts';
import { destinationStates } from '../../shared/rollout/destination-states.ts';
import type { RolloutOutcome } from '../../shared/rollout/rollout.ts';
import { Cluster } from '../../shared/config/cluster.ts';
import { setSuspended } from '../../shared/control/suspend.ts';
import { connectCluster } from '../../shared/kube/connect.ts';
import type { DriftlessEvent } from '../../shared/observability/events.ts';
import type { SyncResult } from '../../shared/sync/result.ts';
import { handleApi } from '../../shared/api/handle-api.ts';
import type { ReconcileMessageInput } from '../../shared/queue/message.ts';
import { processMessage } from '../../shared/worker/process-message.ts';
import { putRegistryEntry } from '../../shared/state/registry.ts';
import { createStateTable, type StateTable } from '../../shared/state/client.ts';
import { ensureTable } from '../../shared/state/ensure-table.ts';
import { readApp } from '../../shared/state/head.ts';
import { cluster, uniqueName } from '../harness/context.ts';
import { LOCAL_AWS, localDynamoClient } from '../harness/dynamodb.ts';
import { commitTree } from '../harness/git-fixtures.ts';
import { createAlarm } from '../helpers/alarms.ts';
import { startGitServer, type GitServer } from '../harness/git-server.ts';
import { kubectl } from '../helpers/engine.ts';
import { configMapYaml } from '../helpers/manifests.ts';

/**
 * Three destinations on the harness's two API servers: `staging` and
 * `prod-us` share cluster-a in their own namespaces, `prod-eu` is cluster-b.
 */
const SERVERS = { staging: 'cluster-a', 'prod-eu': 'cluster-b', 'prod-us': 'cluster-a' } as const;
type Stage = keyof typeof SERVERS;

describe('progressive rollout across clusters', () => {
  let git: GitServer;
  let cacheDir: string;
  let table: StateTable;
  let cloudwatch: CloudWatchClient;
  beforeAll(async () => {
    git = await startGitServer();
    cacheDir = mkdtempSync(join(tmpdir(), 'driftless-rollout-'));
    // A table of its own: the registry entry must survive other files' scheduler runs,
    // which remove every application their configuration does not declare.
    const client = localDynamoClient(inject('dynamo').endpoint);
    const tableName = uniqueName('rollout');
    await ensureTable(client, tableName);
    table = createStateTable({ tableName, client });
    cloudwatch = new CloudWatchClient({ ...LOCAL_AWS, endpoint: inject('awsEndpoint') });
  });
  afterAll(async () => {
    await git.stop();
    table.client.destroy();
    cloudwatch.destroy();
    rmSync(cacheDir, { recursive: true, force: true });
  });

  it('accepts exactly one of destination and destinations, each cluster once', () => {
    const spec = (extra: Record<string, unknown>) => ({
      apiVersion: 'driftless.dev/v1alpha1',
      kind: 'Application',
      metadata: { name: 'web' },
      spec: { source: { repoURL: 'https://git.example.com/a.git' }, ...extra },
    });
    const messages = (extra: Record<string, unknown>) =>
      Application.safeParse(spec(extra)).error?.issues.map(
        (i) => `${i.path.join('.')}: ${i.message}`,
      );
    expect(messages({})).toEqual([
      'spec.destination: give exactly one of destination (one cluster) or destinations (a rollout)',
    ]);
    expect(messages({ destination: { cluster: 'a' }, destinations: [{ cluster: 'b' }] })).toEqual([
      'spec.destinations: give exactly one of destination (one cluster) or destinations (a rollout)',
    ]);
    expect(
      messages({ destinations: [{ cluster: 'a' }, { cluster: 'a', wave: 1, alarms: ['x'] }] }),
    ).toEqual([
      'spec.destinations.1.cluster: cluster a is already a destination',
      'spec.destinations.1.alarms: alarms are watched during bake time: set spec.rollback too',
    ]);
    expect(Application.parse(spec({ destinations: [{ cluster: 'a' }] })).spec.destinations).toEqual(
      [{ cluster: 'a', wave: 0 }],
    );
  });

  it('stops a three-wave rollout at the wave whose alarm fires and rolls back the waves before', async () => {
    const name = uniqueName('wave');
    const alarm = uniqueName('driftless-eu-errors');
    const setAlarm = await createAlarm(cloudwatch, alarm);
    const url = git.createRepo(name);
    const namespace = (stage: Stage) => `${name}-${stage}`;
    const app = Application.parse({
      apiVersion: 'driftless.dev/v1alpha1',
      kind: 'Application',
      metadata: { name },
      spec: {
        source: { repoURL: url, targetRevision: 'main', path: 'app' },
        destinations: [
          { cluster: 'prod-us', namespace: namespace('prod-us'), wave: 2 },
          { cluster: 'staging', namespace: namespace('staging'), wave: 0 },
          { cluster: 'prod-eu', namespace: namespace('prod-eu'), wave: 1, alarms: [alarm] },
        ],
        syncPolicy: { automated: { prune: true }, syncOptions: ['CreateNamespace=true'] },
        healthTimeout: '20s',
        rollback: { bakeTime: '2s' },
      },
    });
    const commit = (value: string) =>
      commitTree(git.repoPath(name), 'main', { 'app/cm.yaml': configMapYaml('settings', value) });
    // Registered as the scheduler would: one Cluster per destination name.
    await putRegistryEntry(table, {
      name,
      file: `apps/${name}.yaml`,
      app,
      clusters: (Object.keys(SERVERS) as Stage[]).map((stage) =>
        Cluster.parse({
          apiVersion: 'driftless.dev/v1alpha1',
          kind: 'Cluster',
          metadata: { name: stage },
          spec: { kubeconfig: { file: cluster(SERVERS[stage]).kubeconfig } },
        }),
      ),
    });
    const events: DriftlessEvent[] = [];
    const notices: DriftlessEvent[] = [];
    /** One scheduler tick: a queue message through the reconciler's own message handling. */
    const tick = async (): Promise<Extract<RolloutOutcome, { status: 'done' }>> => {
      events.length = 0;
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
          settings: engineSettings({ source: { cacheDir } }),
          connect: connectCluster,
          events: { publish: async (list) => void events.push(...list) },
          notifier: { notify: async (event) => void notices.push(event) },
          alarms: new CloudWatchAlarmSource(cloudwatch),
        },
      );
      expect(handled).toMatchObject({ kind: 'rollout', outcome: { status: 'done' } });
      return (handled as { outcome: Extract<RolloutOutcome, { status: 'done' }> }).outcome;
    };
    const synced = async () =>
      Object.fromEntries(
        (await destinationStates(table, app)).map((d) => [d.cluster, d.state?.syncedRevision]),
      );
    const live = async (stage: Stage) =>
      kubectl(
        cluster(SERVERS[stage]),
        'get',
        'configmap',
        'settings',
        '-n',
        namespace(stage),
        '-o',
        'jsonpath={.data.value}',
      );
    const rollout = async () => (await readApp(table, name))?.state?.rollout;
    /** Scheduler ticks, a second apart, until `revision`'s rollout reaches `status`. */
    const tickUntil = async (revision: string, done: () => Promise<boolean>) => {
      for (let i = 0; i < 30; i++) {
        await tick();
        if (await done()) return;
        await sleep(1_000);
      }
      throw new Error(`rollout of ${revision} stuck: ${JSON.stringify(await rollout())}`);
    };

    // The first revision goes wave by wave too: only staging at first.
    const one = commit('one');
    const first = await tick();
    expect(first.runs.map((r) => [r.cluster, r.action?.kind])).toEqual([['staging', 'follow']]);
    expect(await synced()).toEqual({ staging: one, 'prod-eu': undefined, 'prod-us': undefined });
    expect(await rollout()).toEqual([
      { revision: one, reachedWave: 0, status: 'Progressing', updatedAt: expect.any(Number) },
    ]);
    await tickUntil(one, async () => (await rollout())?.[0]?.status === 'Complete');
    expect(await synced()).toEqual({ staging: one, 'prod-eu': one, 'prod-us': one });
    expect((await rollout())?.[0]).toMatchObject({ revision: one, reachedWave: 2 });

    // The second revision: wave 0 bakes, wave 1 takes it; wave 2 must wait.
    const two = commit('two');
    await tickUntil(two, async () => (await synced())['prod-eu'] === two);
    expect(await synced()).toEqual({ staging: two, 'prod-eu': two, 'prod-us': one });
    expect((await rollout())?.[0]).toMatchObject({
      revision: two,
      reachedWave: 1,
      status: 'Progressing',
    });
    expect(await live('prod-us')).toBe('one');

    // prod-eu's alarm fires while it bakes: it rolls back, and so does staging.
    await setAlarm('ALARM');
    const stopped = await tick();
    const byStage = new Map(stopped.runs.map((r) => [r.cluster, r]));
    expect(byStage.get('prod-eu')?.outcome).toMatchObject({
      status: 'done',
      rollback: { from: two, to: one },
    });
    expect(
      stopped.runs.find((r) => r.cluster === 'staging' && r.action?.kind === 'rollback'),
    ).toMatchObject({
      trigger: { kind: 'rollback', by: 'driftless' },
      outcome: { status: 'done', result: { revision: one, status: 'Synced' } },
    });
    expect(await synced()).toEqual({ staging: one, 'prod-eu': one, 'prod-us': one });
    // Both rollbacks are events (and so metrics) and notices.
    expect(
      events
        .filter((e) => e.detailType === 'Rollback Performed')
        .map((e) => [e.detail.cluster, e.detail.revision, e.detail.previousRevision])
        .sort(),
    ).toEqual([
      ['prod-eu', one, two],
      ['staging', one, two],
    ]);
    expect(notices.map((e) => [e.detailType, e.detail.cluster]).sort()).toEqual([
      ['Rollback Performed', 'prod-eu'],
      ['Rollback Performed', 'staging'],
    ]);
    expect(notices.find((e) => e.detail.cluster === 'staging')?.detail.message).toBe(
      `rollout of ${two} stopped: wave 1 (prod-eu): rolled back from ${two}: alarm ${alarm} in ALARM`,
    );
    for (const stage of ['staging', 'prod-eu', 'prod-us'] as const)
      expect(await live(stage)).toBe('one');
    const record = (await rollout())?.[0];
    expect(record).toMatchObject({ revision: two, reachedWave: 1, status: 'RolledBack' });
    expect(record?.reason).toBe(
      `wave 1 (prod-eu): rolled back from ${two}: alarm ${alarm} in ALARM`,
    );
    expect((await rollout())?.[1]).toMatchObject({ revision: one, status: 'Complete' });
    expect((await readApp(table, name))?.state).toMatchObject({
      hold: { headRevision: two, from: two, by: 'driftless' },
      syncedRevision: one,
    });

    // Scheduled reconciles while the branch still names the failed commit move nothing.
    await setAlarm('OK');
    for (let i = 0; i < 2; i++) {
      const held = await tick();
      expect(held.runs.every((r) => r.outcome.status === 'skipped')).toBe(true);
    }
    expect(await synced()).toEqual({ staging: one, 'prod-eu': one, 'prod-us': one });
    expect((await rollout())?.[0]).toMatchObject({ revision: two, status: 'RolledBack' });

    // Resuming the application lifts the rollout's hold and its destinations': wave 0 retries.
    await setSuspended(table, name, false, { by: 'oncall', owner: uniqueName('resume') });
    await tick();
    expect(await synced()).toEqual({ staging: two, 'prod-eu': one, 'prod-us': one });
    expect((await rollout())?.[0]).toMatchObject({ revision: two, status: 'Progressing' });
    expect(
      (await destinationStates(table, app)).filter((d) => d.state?.hold).map((d) => d.cluster),
    ).toEqual([]);

    // A newer commit starts a new rollout at wave 0.
    const three = commit('three');
    await tick();
    expect(await synced()).toEqual({ staging: three, 'prod-eu': one, 'prod-us': one });
    expect((await rollout())?.map((s) => [s.revision, s.status])).toEqual([
      [three, 'Progressing'],
      [two, 'Progressing'],
      [one, 'Complete'],
    ]);

    // Through the API: show and history per destination, and a person's rollback of every wave.
    const queued: ReconcileMessageInput[] = [];
    const diffs: { app: Application; cluster: string; previous: number | undefined }[] = [];
    const api = (method: string, path: string, body?: unknown, query?: Record<string, string>) =>
      handleApi(
        {
          method,
          path,
          ...(query ? { query } : {}),
          ...(body ? { body: JSON.stringify(body) } : {}),
          caller: 'arn:aws:iam::123456789012:user/oncall',
          requestId: uniqueName('req'),
        },
        {
          table,
          queue: {
            send: async (list) =>
              void queued.push(...list.map((m) => m.message as ReconcileMessageInput)),
          },
          // The engine's diff is tested on its own; here, which destination it is given.
          diff: async ({ app: a, cluster: c, previous }) => {
            diffs.push({ app: a, cluster: c.metadata.name, previous: previous?.entries.length });
            return { status: 'Synced' } as SyncResult;
          },
          liveObjects: () => Promise.reject(new Error('this test reads no live objects')),
        },
      );
    expect((await api('GET', `/apps/${name}`)).body).toMatchObject({
      name,
      destinations: [
        { cluster: 'staging', wave: 0, state: { syncedRevision: three } },
        { cluster: 'prod-eu', wave: 1, state: { syncedRevision: one } },
        { cluster: 'prod-us', wave: 2, state: { syncedRevision: one } },
      ],
      state: { rollout: [{ revision: three, reachedWave: 0 }, {}, {}] },
    });
    expect(await api('GET', `/apps/${name}/diff`)).toMatchObject({
      statusCode: 400,
      body: {
        message: expect.stringMatching(
          /several clusters \(staging, prod-eu, prod-us\): ask for one with \?destination=CLUSTER/,
        ),
      },
    });
    expect(
      await api('GET', `/apps/${name}/diff`, undefined, { destination: 'nowhere' }),
    ).toMatchObject({
      statusCode: 400,
      body: { message: expect.stringContaining('no destination on cluster "nowhere"') },
    });
    expect(
      await api('GET', `/apps/${name}/diff`, undefined, { destination: 'prod-eu' }),
    ).toMatchObject({
      statusCode: 200,
    });
    expect(diffs).toEqual([
      {
        app: expect.objectContaining({
          spec: expect.objectContaining({
            destination: { cluster: 'prod-eu', namespace: namespace('prod-eu') },
          }),
        }),
        cluster: 'prod-eu',
        previous: 1,
      },
    ]);
    const history = (await api('GET', `/apps/${name}/history`)).body as {
      destinations: { cluster: string; history: { revision: string }[] }[];
    };
    expect(history.destinations.map((d) => [d.cluster, d.history[0]?.revision])).toEqual([
      ['staging', three],
      ['prod-eu', one],
      ['prod-us', one],
    ]);
    expect(
      await api('POST', `/apps/${name}/rollback`, { revision: one.slice(0, 8) }),
    ).toMatchObject({ statusCode: 202, body: { revision: one } });
    expect(queued).toEqual([
      expect.objectContaining({
        app: name,
        mode: 'sync',
        revision: one,
        trigger: { kind: 'rollback', by: 'arn:aws:iam::123456789012:user/oncall' },
      }),
    ]);
    const handled = await processMessage(JSON.stringify(queued[0]), uniqueName('owner'), {
      table,
      settings: engineSettings({ source: { cacheDir } }),
      connect: connectCluster,
      events: { publish: async () => undefined },
    });
    expect(handled).toMatchObject({ kind: 'rollout', outcome: { status: 'done' } });
    expect(await synced()).toEqual({ staging: one, 'prod-eu': one, 'prod-us': one });
    expect(await live('staging')).toBe('one');
    expect(
      (await destinationStates(table, app)).map((d) => [d.cluster, d.state?.hold?.headRevision]),
    ).toEqual([
      ['staging', three],
      ['prod-eu', three],
      ['prod-us', three],
    ]);
    // The next scheduled reconcile keeps every wave there and shows the rollout rolled back.
    const after = await tick();
    expect(after.runs.every((r) => r.outcome.status === 'skipped')).toBe(true);
    expect((await rollout())?.[0]).toMatchObject({ revision: three, status: 'RolledBack' });
  });
});
