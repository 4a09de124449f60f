import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { engineSettings } from '../../shared/engine/settings.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Application, type ApplicationInput } from '../../shared/config/application.ts';
import { setSuspended } from '../../shared/control/suspend.ts';
import { eventsFor } from '../../shared/observability/events.ts';
import { SnsNotifier } from '../../shared/observability/sns-notifier.ts';
import { runApplication } from '../../shared/app-run/run-application.ts';
import { type AppRunInput, type AppRunOutcome } from '../../shared/app-run/types.ts';
import { CloudWatchAlarmSource } from '../../shared/rollback/alarms.ts';
import { createStateTable, type StateTable } from '../../shared/state/client.ts';
import { readApp } from '../../shared/state/head.ts';
import { listHistory } from '../../shared/state/history.ts';
import { cluster, uniqueName } from '../harness/context.ts';
import { LOCAL_AWS, localDynamoClient } from '../harness/dynamodb.ts';
import { commitTree } from '../harness/git-fixtures.ts';
import { createAlarm } from '../helpers/alarms.ts';
import { startGitServer, type GitServer } from '../harness/git-server.ts';
import { configMapValue, kubectl } from '../helpers/engine.ts';
import { configMapYaml } from '../helpers/manifests.ts';

/** A one-replica Deployment; `stuck` can never be scheduled and misses a 3 s progress deadline. */
function deploymentYaml(image: string, stuck = false): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  progressDeadlineSeconds: 3
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
${stuck ? "      nodeSelector: { driftless.dev/no-such-node: 'true' }\n" : ''}      containers: [{ name: web, image: '${image}' }]
`;
}

type Done = Extract<AppRunOutcome, { status: 'done' }>;

describe('rollback policy: bake, automated rollback and hold', () => {
  let git: GitServer;
  let cacheDir: string;
  let table: StateTable;
  let cloudwatch: CloudWatchClient;
  beforeAll(async () => {
    git = await startGitServer();
    cacheDir = mkdtempSync(join(tmpdir(), 'driftless-rbp-'));
    const { endpoint, tableName } = inject('dynamo');
    table = createStateTable({ tableName, client: localDynamoClient(endpoint) });
    cloudwatch = new CloudWatchClient({ ...LOCAL_AWS, endpoint: inject('awsEndpoint') });
  });
  afterAll(async () => {
    await git.stop();
    table.client.destroy();
    cloudwatch.destroy();
    rmSync(cacheDir, { recursive: true, force: true });
  });

  function setup(rollback: NonNullable<ApplicationInput['spec']['rollback']>) {
    const name = uniqueName('rbp');
    const url = git.createRepo(name);
    const app = Application.parse({
      apiVersion: 'driftless.dev/v1alpha1',
      kind: 'Application',
      metadata: { name },
      spec: {
        source: { repoURL: url, targetRevision: 'main', path: 'app' },
        destination: { cluster: 'cluster-a', namespace: name },
        syncPolicy: { automated: { prune: true }, syncOptions: ['CreateNamespace=true'] },
        healthTimeout: '45s',
        rollback,
      },
    });
    const c = cluster('cluster-a');
    const input = (extra: Partial<AppRunInput> = {}): AppRunInput => ({
      table,
      app,
      connect: async () => ({ server: c.server, ca: readFileSync(c.caFile), token: c.adminToken }),
      owner: uniqueName('owner'),
      trigger: { kind: 'schedule', by: 'test' },
      mode: 'auto',
      settings: engineSettings({ source: { cacheDir } }),
      alarms: new CloudWatchAlarmSource(cloudwatch),
      ...extra,
    });
    const state = async () => (await readApp(table, name))?.state;
    /** Scheduler ticks, a second apart, until `revision` has passed its bake. */
    const bakeThrough = async (revision: string) => {
      for (let tick = 0; tick < 20; tick++) {
        const outcome = await runApplication(input());
        expect(outcome.status).toBe('done');
        if ((await state())?.bakedRevisions?.includes(revision)) return;
        await sleep(1_000);
      }
      throw new Error(`${revision} never passed its bake: ${JSON.stringify(await state())}`);
    };
    return {
      name,
      input,
      state,
      bakeThrough,
      commit: (files: Record<string, string>) => commitTree(git.repoPath(name), 'main', files),
    };
  }

  it('rolls back a Deployment that cannot become ready and stays there until a newer commit', async () => {
    const { name, input, state, bakeThrough, commit } = setup({ bakeTime: '3s' });
    const good = commit({
      'app/deploy.yaml': deploymentYaml('nginx:1.27'),
      'app/cm.yaml': configMapYaml('settings', 'good'),
    });
    const first = await runApplication(input());
    expect(first).toMatchObject({ status: 'done', result: { revision: good } });
    expect((await state())?.bake).toMatchObject({ revision: good });
    // Baking is judged on every tick: the unchanged skip must not hide it.
    await bakeThrough(good);
    expect(await state()).toMatchObject({ bakedRevisions: [good] });
    expect((await state())?.bake).toBeUndefined();
    expect(await runApplication(input())).toMatchObject({ status: 'skipped', reason: 'unchanged' });

    const bad = commit({
      'app/deploy.yaml': deploymentYaml('nginx:1.27', true),
      'app/cm.yaml': configMapYaml('settings', 'bad'),
    });
    const rolled = (await runApplication(input())) as Done;
    expect(rolled).toMatchObject({
      status: 'done',
      result: { revision: bad, health: { status: 'Degraded' } },
      rollback: { from: bad, to: good, result: { revision: good, status: 'Synced' } },
    });
    expect(rolled.rollback?.reason).toMatch(/health Degraded: .*ProgressDeadlineExceeded/);
    const afterRollback = await state();
    expect(afterRollback).toMatchObject({
      syncedRevision: good,
      hold: { revision: good, headRevision: bad, from: bad, by: 'driftless' },
      bakedRevisions: [good],
    });
    expect(afterRollback?.hold?.reason).toMatch(/^rolled back from [0-9a-f]{40}: health Degraded/);
    expect(afterRollback?.bake).toBeUndefined();
    const live = async () => {
      const get = (kind: string, path: string) =>
        kubectl(cluster('cluster-a'), 'get', kind, '-n', name, '-o', `jsonpath={${path}}`);
      return `${await get('deployment/web', '.spec.template.spec.nodeSelector')}|${await get('configmap/settings', '.data.value')}`;
    };
    expect(await live()).toBe('|good');

    const history = await listHistory(table, name);
    expect(history.map((h) => [h.revision, h.trigger.kind, h.trigger.by])).toEqual([
      [good, 'rollback', 'driftless'],
      [bad, 'schedule', 'test'],
      [good, 'schedule', 'test'],
    ]);
    expect(history[0]?.trigger.reason).toMatch(/health Degraded/);

    const events = eventsFor(rolled, {
      app: name,
      mode: 'auto',
      trigger: { kind: 'schedule', by: 'test' },
      enqueuedAt: Date.now(),
    });
    expect(events.map((e) => e.detailType)).toEqual([
      'Sync Succeeded',
      'Application Degraded',
      'Rollback Performed',
    ]);
    expect(events[2]?.detail).toMatchObject({
      revision: good,
      previousRevision: bad,
      trigger: { kind: 'rollback', by: 'driftless' },
      message: expect.stringMatching(/health Degraded/),
    });

    // Scheduled reconciles while the branch still points at the bad commit change nothing. The
    // first may look at the held revision again (health was still settling after the rollback).
    const tick = await runApplication(input());
    if (tick.status === 'done') {
      expect(tick.result).toMatchObject({
        revision: good,
        counts: { Created: 0, Configured: 0, Pruned: 0 },
      });
    } else {
      // Health settling after the rollback shows as the health it settled on.
      expect(tick).toMatchObject({
        status: 'skipped',
        reason: `held at ${good} after a rollback`,
        revision: good,
      });
    }
    for (let n = 0; n < 2; n++) {
      expect(await runApplication(input())).toEqual({
        status: 'skipped',
        reason: `held at ${good} after a rollback`,
        revision: good,
      });
    }
    expect(await live()).toBe('|good');

    const fixed = commit({
      'app/deploy.yaml': deploymentYaml('nginx:1.28'),
      'app/cm.yaml': configMapYaml('settings', 'fixed'),
    });
    expect(await runApplication(input())).toMatchObject({
      status: 'done',
      result: { revision: fixed, health: { status: 'Healthy' } },
    });
    expect(await state()).toMatchObject({ syncedRevision: fixed, bake: { revision: fixed } });
    expect((await state())?.hold).toBeUndefined();
    expect(await live()).toBe('|fixed');
  });

  it('rolls back when a named alarm goes to ALARM during bake time, and notifies SNS', async () => {
    const alarm = uniqueName('driftless-alarm');
    const setAlarm = await createAlarm(cloudwatch, alarm);
    // Named by ARN: the name after `alarm:` is what CloudWatch is asked for.
    const arn = `arn:aws:cloudwatch:us-east-1:123456789012:alarm:${alarm}`;
    const { name, input, state, bakeThrough, commit } = setup({
      onDegraded: true,
      alarms: [arn],
      bakeTime: '3s',
    });
    const good = commit({ 'app/cm.yaml': configMapYaml('settings', 'good') });
    await bakeThrough(good);

    const next = commit({ 'app/cm.yaml': configMapYaml('settings', 'next') });
    expect(await runApplication(input())).toMatchObject({
      status: 'done',
      result: { revision: next, health: { status: 'Healthy' } },
    });
    expect(await state()).toMatchObject({ syncedRevision: next, bake: { revision: next } });
    expect((await state())?.hold).toBeUndefined();

    await setAlarm('ALARM');
    const rolled = (await runApplication(input())) as Done;
    expect(rolled).toMatchObject({
      status: 'done',
      result: { revision: next },
      rollback: { from: next, to: good, reason: `rolled back from ${next}: alarm ${arn} in ALARM` },
    });
    expect(await state()).toMatchObject({
      syncedRevision: good,
      hold: { revision: good, headRevision: next, by: 'driftless', from: next },
    });
    expect(await configMapValue(cluster('cluster-a'), name, 'settings')).toBe('good');
    expect(await runApplication(input())).toMatchObject({
      status: 'skipped',
      reason: `held at ${good} after a rollback`,
    });

    // The notice reaches the topic's subscribers (an SQS queue here).
    const endpoint = inject('awsEndpoint');
    const sns = new SNSClient({ ...LOCAL_AWS, endpoint });
    const sqs = new SQSClient({ ...LOCAL_AWS, endpoint });
    try {
      const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: `${name}-alarms` }));
      const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `${name}-inbox` }));
      const { Attributes } = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
      );
      await sns.send(
        new SubscribeCommand({
          TopicArn,
          Protocol: 'sqs',
          Endpoint: Attributes!.QueueArn,
          Attributes: { RawMessageDelivery: 'true' },
        }),
      );
      const rollbackEvent = eventsFor(rolled, {
        app: name,
        mode: 'auto',
        trigger: { kind: 'schedule' },
        enqueuedAt: Date.now(),
      }).find((e) => e.detailType === 'Rollback Performed')!;
      await new SnsNotifier(sns, TopicArn!).notify(rollbackEvent);
      const { Messages } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 5 }),
      );
      expect(Messages?.[0]?.Body).toContain(
        `${name} on cluster-a: Rollback Performed to ${good} from ${next} (rolled back from ${next}: alarm ${arn} in ALARM)`,
      );
    } finally {
      sns.destroy();
      sqs.destroy();
    }

    // A person resuming lifts the hold; the branch still names `next`, which is synced and baked again.
    await setAlarm('OK');
    await setSuspended(table, name, false, { by: 'oncall', owner: uniqueName('resume') });
    expect(await runApplication(input())).toMatchObject({
      status: 'done',
      result: { revision: next },
    });
    expect(await state()).toMatchObject({ bake: { revision: next } });
    await bakeThrough(next);
    expect((await state())?.bakedRevisions).toEqual([next, good]);
  });

  it('never passes a bake whose alarm does not exist, and says so in the state', async () => {
    const missing = uniqueName('no-such-alarm');
    const { input, state, commit } = setup({ alarms: [missing], bakeTime: '1s' });
    const sha = commit({ 'app/cm.yaml': configMapYaml('settings', 'one') });
    await runApplication(input());
    await sleep(1_500);
    expect(await runApplication(input())).toMatchObject({ status: 'done' });
    const s = await state();
    expect(s?.bake).toMatchObject({ revision: sha });
    expect(s?.bakedRevisions).toBeUndefined();
    expect(s?.error).toBe(`rollback policy: alarm not found: ${missing}`);

    // Without an alarm source at all (local mode without AWS), the same: no silent pass.
    expect(await runApplication(input({ alarms: undefined }))).toMatchObject({ status: 'done' });
    expect((await state())?.error).toBe(
      'rollback policy: alarms are named but this reconciler cannot read CloudWatch alarms',
    );
    expect((await state())?.bakedRevisions).toBeUndefined();
  });
});
