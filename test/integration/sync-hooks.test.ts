import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../shared/kube/object.ts';
import type { Inventory } from '../../shared/sync/inventory.ts';
import type { SyncObjectsOptions, SyncProgress } from '../../shared/sync/sync-objects.ts';
import { cluster, uniqueName } from '../harness/context.ts';
import { configMap, deployment, kubectl, syncOn } from '../helpers/engine.ts';

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

interface HookSpec {
  policy?: string;
  wave?: number;
  /** The test-only KWOK stage (test/harness/kwok-test-stages.yaml) fails its Pod. */
  fail?: boolean;
  /** Its Pod can never be scheduled, so the Job never finishes. */
  stuck?: boolean;
}

/** A Job annotated as a hook; on the simulated nodes it completes unless told otherwise. */
function hookJob(name: string, hook: string, spec: HookSpec = {}): KubeObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name,
      annotations: {
        'driftless.dev/hook': hook,
        ...(spec.policy ? { 'driftless.dev/hook-delete-policy': spec.policy } : {}),
        ...(spec.wave !== undefined ? { 'driftless.dev/sync-wave': String(spec.wave) } : {}),
      },
    },
    spec: {
      backoffLimit: 0,
      template: {
        metadata: spec.fail ? { labels: { 'driftless.dev/test-outcome': 'Failed' } } : {},
        spec: {
          restartPolicy: 'Never',
          containers: [{ name: 'run', image: 'busybox:1.36', command: ['true'] }],
          ...(spec.stuck ? { nodeSelector: { 'driftless.dev/no-such-node': 'true' } } : {}),
        },
      },
    },
  };
}

async function live(ns: string, kind: string, name: string): Promise<KubeObject | undefined> {
  try {
    return JSON.parse(await kubectl(clusterB(), 'get', kind, name, '-n', ns, '-o', 'json'));
  } catch {
    return undefined;
  }
}

function conditionOf(job: KubeObject | undefined, type: string): string | undefined {
  const conditions = (job?.status as { conditions?: { type: string; status: string }[] })
    ?.conditions;
  return conditions?.find((c) => c.type === type)?.status;
}

describe('sync hooks on cluster-b', () => {
  it('runs PreSync hooks wave by wave before the apply, PostSync hooks once it is healthy', async () => {
    const app = uniqueName('hooks-order');
    const phases: SyncProgress['phase'][] = [];
    const result = await sync(
      app,
      [
        deployment('web', 1),
        configMap('settings', { a: '1' }),
        hookJob('migrate', 'PreSync', { wave: 1 }),
        hookJob('backup', 'PreSync', { wave: -1 }),
        hookJob('smoke', 'PostSync'),
        // Any object can be a hook: a ConfigMap succeeds as soon as it exists.
        configMap(
          'deployed-marker',
          { at: 'now' },
          { annotations: { 'driftless.dev/hook': 'PostSync' } },
        ),
      ],
      undefined,
      {
        onProgress: (p) => {
          if (phases.at(-1) !== p.phase) phases.push(p.phase);
        },
      },
    );
    expect(result.status).toBe('Synced');
    expect(result.health.status).toBe('Healthy');
    expect(phases).toEqual(['diff', 'PreSync', 'apply', 'health', 'PostSync']);
    expect(result.hooks.map((h) => [h.phase, h.ref.kind, h.ref.name, h.status])).toEqual([
      ['PreSync', 'Job', 'backup', 'Succeeded'],
      ['PreSync', 'Job', 'migrate', 'Succeeded'],
      ['PostSync', 'ConfigMap', 'deployed-marker', 'Succeeded'],
      ['PostSync', 'Job', 'smoke', 'Succeeded'],
    ]);
    // Wave -1 had finished before wave 1 was created.
    const backup = await live(app, 'job', 'backup');
    const migrate = await live(app, 'job', 'migrate');
    expect(conditionOf(backup, 'Complete')).toBe('True');
    expect(
      Date.parse((backup!.status as { completionTime: string }).completionTime),
    ).toBeLessThanOrEqual(Date.parse(migrate!.metadata.creationTimestamp as string));
    // Hooks are not objects of the application: not in its results or inventory.
    expect(result.objects.map((o) => o.ref.name).sort()).toEqual(['settings', 'web']);
    expect(result.inventory.entries.map((e) => e.name).sort()).toEqual(['settings', 'web']);
    expect(result.timings.hooksMs).toBeGreaterThan(0);
  });

  it('stops at a failed PreSync Job with nothing else applied, and runs the SyncFail hook', async () => {
    const app = uniqueName('hooks-presync-fail');
    const result = await sync(app, [
      configMap('settings', { a: '1' }),
      hookJob('migrate', 'PreSync', { fail: true }),
      hookJob('smoke', 'PostSync'),
      hookJob('alert', 'SyncFail'),
    ]);
    expect(result.status).toBe('Failed');
    expect(result.phase).toBe('PreSync');
    expect(result.error).toMatch(
      /^PreSync hook Job .*\/migrate failed: Failed: BackoffLimitExceeded: .*; nothing else was applied$/,
    );
    expect(result.hooks.map((h) => [h.phase, h.ref.name, h.status])).toEqual([
      ['PreSync', 'migrate', 'Failed'],
      ['SyncFail', 'alert', 'Succeeded'],
    ]);
    expect(result.objects).toEqual([
      expect.objectContaining({
        action: 'Failed',
        message: 'not applied: a PreSync hook failed',
      }),
    ]);
    expect(await live(app, 'configmap', 'settings')).toBeUndefined();
    expect(await live(app, 'job', 'smoke')).toBeUndefined();
    expect(conditionOf(await live(app, 'job', 'alert'), 'Complete')).toBe('True');
    expect(result.inventory).toEqual({ revision: '', entries: [] });
  });

  it('fails the sync on a failed PostSync hook and reports a failed SyncFail hook as well', async () => {
    const app = uniqueName('hooks-postsync-fail');
    const result = await sync(app, [
      configMap('settings', { a: '1' }),
      hookJob('smoke', 'PostSync', { fail: true }),
      hookJob('alert', 'SyncFail', { fail: true }),
    ]);
    expect(result.status).toBe('Failed');
    expect(result.phase).toBe('PostSync');
    expect(result.error).toMatch(
      /^PostSync hook Job .*\/smoke failed: .*BackoffLimitExceeded.*; SyncFail hook Job .*\/alert failed: .*BackoffLimitExceeded/,
    );
    // The main apply had succeeded: its objects stay remembered for a later prune.
    expect(await live(app, 'configmap', 'settings')).toBeDefined();
    expect(result.inventory.entries.map((e) => e.name)).toEqual(['settings']);
    expect(result.inventory.revision).toBe('');
  });

  it('does not run PostSync hooks when the applied objects do not become healthy', async () => {
    const app = uniqueName('hooks-unhealthy');
    const stuck = deployment('stuck', 1, { progressDeadlineSeconds: 2 });
    (stuck.spec as { template: { spec: Record<string, unknown> } }).template.spec.nodeSelector = {
      'driftless.dev/no-such-node': 'true',
    };
    const result = await sync(
      app,
      [stuck, hookJob('smoke', 'PostSync'), hookJob('alert', 'SyncFail')],
      undefined,
      // PostSync hooks wait for health even when the caller would not.
      { waitForHealth: false },
    );
    expect(result.status).toBe('Failed');
    expect(result.phase).toBe('health');
    expect(result.error).toMatch(
      /^PostSync hooks not run: the application is Degraded \(Deployment .*stuck: .*ProgressDeadlineExceeded/,
    );
    expect(result.hooks.map((h) => [h.phase, h.ref.name, h.status])).toEqual([
      ['SyncFail', 'alert', 'Succeeded'],
    ]);
    expect(await live(app, 'job', 'smoke')).toBeUndefined();
  });

  it('deletes the previous run before creating a hook again (BeforeHookCreation, the default)', async () => {
    const app = uniqueName('hooks-before-creation');
    const first = await sync(app, [
      configMap('settings', { a: '1' }),
      hookJob('migrate', 'PreSync'),
    ]);
    expect(first.status).toBe('Synced');
    const firstRun = await live(app, 'job', 'migrate');
    expect(conditionOf(firstRun, 'Complete')).toBe('True');

    const second = await sync(
      app,
      [configMap('settings', { a: '2' }), hookJob('migrate', 'PreSync')],
      first.inventory,
    );
    expect(second.status).toBe('Synced');
    expect(second.hooks).toEqual([
      expect.objectContaining({
        phase: 'PreSync',
        status: 'Succeeded',
        deletePolicies: ['BeforeHookCreation'],
      }),
    ]);
    const secondRun = await live(app, 'job', 'migrate');
    expect(secondRun?.metadata.uid).not.toBe(firstRun?.metadata.uid);
    expect(conditionOf(secondRun, 'Complete')).toBe('True');
  });

  it('deletes a hook after success (HookSucceeded) or failure (HookFailed), and keeps the rest', async () => {
    const app = uniqueName('hooks-delete');
    const result = await sync(app, [
      configMap('settings', { a: '1' }),
      hookJob('ok-then-delete', 'PreSync', { policy: 'HookSucceeded' }),
      hookJob('ok-kept', 'PreSync', { policy: 'HookFailed' }),
      hookJob('failed-then-delete', 'PreSync', { policy: 'HookFailed', fail: true }),
      hookJob('failed-kept', 'PreSync', { policy: 'HookSucceeded,BeforeHookCreation', fail: true }),
    ]);
    expect(result.status).toBe('Failed');
    const byName = new Map(result.hooks.map((h) => [h.ref.name, h]));
    expect(byName.get('ok-then-delete')).toMatchObject({ status: 'Succeeded', deleted: true });
    expect(byName.get('ok-kept')).toMatchObject({ status: 'Succeeded' });
    expect(byName.get('failed-then-delete')).toMatchObject({ status: 'Failed', deleted: true });
    expect(byName.get('failed-kept')).toMatchObject({
      status: 'Failed',
      deletePolicies: ['HookSucceeded', 'BeforeHookCreation'],
    });
    expect(byName.get('ok-kept')?.deleted).toBeUndefined();
    expect(byName.get('failed-kept')?.deleted).toBeUndefined();
    // Deleted in the background: gone, or at least being deleted.
    for (const name of ['ok-then-delete', 'failed-then-delete']) {
      expect((await live(app, 'job', name))?.metadata.deletionTimestamp ?? 'gone').toBeTruthy();
    }
    expect(conditionOf(await live(app, 'job', 'ok-kept'), 'Complete')).toBe('True');
    expect(conditionOf(await live(app, 'job', 'failed-kept'), 'Failed')).toBe('True');
  });

  it('fails the sync when a hook does not finish within the timeout', async () => {
    const app = uniqueName('hooks-timeout');
    const started = Date.now();
    const result = await sync(
      app,
      [configMap('settings', { a: '1' }), hookJob('forever', 'PreSync', { stuck: true })],
      undefined,
      { healthTimeoutMs: 2_000 },
    );
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(result.status).toBe('Failed');
    expect(result.phase).toBe('PreSync');
    expect(result.error).toBe(
      `PreSync hook Job ${app}/forever failed: did not finish within 2s (still running); nothing else was applied`,
    );
    expect(await live(app, 'configmap', 'settings')).toBeUndefined();
  });

  it('never diffs or prunes hooks, and runs none when the sync has nothing to write', async () => {
    const app = uniqueName('hooks-inventory');
    const objects = [configMap('settings', { a: '1' }), hookJob('smoke', 'PostSync')];
    const first = await sync(app, objects);
    expect(first.status).toBe('Synced');
    const firstRun = await live(app, 'job', 'smoke');

    // The hook's live object differs from its manifest (status, defaults,
    // Job labels): not drift, and no change means no hook run.
    const again = await sync(app, objects, first.inventory);
    expect(again.status).toBe('Synced');
    expect(again.hooks).toEqual([]);
    expect(again.objects.map((o) => [o.ref.name, o.action])).toEqual([['settings', 'Unchanged']]);
    expect((await live(app, 'job', 'smoke'))?.metadata.uid).toBe(firstRun?.metadata.uid);

    // Removed from the source: a hook is not stale, so prune leaves it.
    const removed = await sync(app, [configMap('settings', { a: '2' })], again.inventory);
    expect(removed.status).toBe('Synced');
    expect(removed.counts.Pruned).toBe(0);
    expect((await live(app, 'job', 'smoke'))?.metadata.uid).toBe(firstRun?.metadata.uid);
  });

  it('lists the hooks a sync would run in a dry run, without creating them', async () => {
    const app = uniqueName('hooks-dry-run');
    const result = await sync(
      app,
      [
        configMap('settings', { a: '1' }),
        hookJob('migrate', 'PreSync'),
        hookJob('smoke', 'PostSync,SyncFail', { policy: 'HookSucceeded' }),
      ],
      undefined,
      { dryRun: true },
    );
    expect(result.status).toBe('OutOfSync');
    expect(result.hooks.map((h) => [h.phase, h.ref.name, h.status, h.message])).toEqual([
      ['PreSync', 'migrate', 'WouldRun', undefined],
      ['PostSync', 'smoke', 'WouldRun', undefined],
      ['SyncFail', 'smoke', 'WouldRun', 'runs only if the sync fails'],
    ]);
    expect(await live(app, 'job', 'migrate')).toBeUndefined();
  });

  it('rejects an unknown hook phase or delete policy before writing anything', async () => {
    const app = uniqueName('hooks-invalid');
    const result = await sync(app, [
      configMap('settings', { a: '1' }),
      hookJob('typo', 'PreSnyc'),
      hookJob('policy', 'PreSync', { policy: 'HookSucceded' }),
    ]);
    expect(result.status).toBe('Failed');
    expect(result.phase).toBe('diff');
    expect(result.error).toMatch(
      /^2 object\(s\) are invalid; nothing was applied\. Job .*\/typo: annotation driftless\.dev\/hook must list PreSync, PostSync, SyncFail; got "PreSnyc"/,
    );
    expect(result.objects.map((o) => o.message)).toContainEqual(
      expect.stringMatching(
        /annotation driftless\.dev\/hook-delete-policy must list .*; got "HookSucceded"/,
      ),
    );
    expect(await live(app, 'configmap', 'settings')).toBeUndefined();
  });
});
