import { describe, expect, it } from 'vitest';
import { objectKey, refOf, type KubeObject } from '../../shared/kube/object.ts';
import { hookOutcome, hookWaves, selectHooks } from '../../shared/sync/hooks.ts';
import type { DesiredObject } from '../../shared/sync/prepare.ts';

function desired(
  kind: string,
  name: string,
  annotations: Record<string, string> = {},
): DesiredObject {
  const apiVersion = kind === 'Job' ? 'batch/v1' : 'v1';
  const object: KubeObject = { apiVersion, kind, metadata: { name, namespace: 'ns', annotations } };
  const ref = refOf(object);
  return {
    object,
    ref,
    key: objectKey(ref),
    source: { file: 'hooks.yaml', index: 0 },
    pendingCrd: false,
    digest: '',
    wave: Number(annotations['driftless.dev/sync-wave'] ?? 0),
    force: false,
  };
}

describe('selectHooks', () => {
  it('splits hooks from the objects the sync applies, with Argo CD defaults', () => {
    const { main, hooks, problems } = selectHooks([
      desired('ConfigMap', 'plain'),
      desired('Job', 'migrate', { 'driftless.dev/hook': 'PreSync' }),
      desired('Job', 'notify', {
        'driftless.dev/hook': ' PostSync , SyncFail,PostSync',
        'driftless.dev/hook-delete-policy': 'HookSucceeded, HookFailed',
      }),
    ]);
    expect(problems).toEqual([]);
    expect(main.map((d) => d.ref.name)).toEqual(['plain']);
    expect(hooks.map((h) => [h.desired.ref.name, h.phases, h.deletePolicies])).toEqual([
      ['migrate', ['PreSync'], ['BeforeHookCreation']],
      ['notify', ['PostSync', 'SyncFail'], ['HookSucceeded', 'HookFailed']],
    ]);
  });

  it('reports unknown phases and policies instead of applying the object', () => {
    const { main, hooks, problems } = selectHooks([
      desired('Job', 'a', { 'driftless.dev/hook': 'Sync' }),
      desired('Job', 'b', { 'driftless.dev/hook': '' }),
      desired('Job', 'c', {
        'driftless.dev/hook': 'PreSync',
        'driftless.dev/hook-delete-policy': 'Never',
      }),
    ]);
    expect(main).toEqual([]);
    expect(hooks).toEqual([]);
    expect(problems.map((p) => p.message)).toEqual([
      'Job ns/a: annotation driftless.dev/hook must list PreSync, PostSync, SyncFail; got "Sync"',
      'Job ns/b: annotation driftless.dev/hook must list PreSync, PostSync, SyncFail; got ""',
      'Job ns/c: annotation driftless.dev/hook-delete-policy must list BeforeHookCreation, HookSucceeded, HookFailed; got "Never"',
    ]);
  });
});

describe('hookWaves', () => {
  it('orders one phase by wave, then kind, then name', () => {
    const { hooks } = selectHooks([
      desired('Job', 'z-late', { 'driftless.dev/hook': 'PreSync', 'driftless.dev/sync-wave': '2' }),
      desired('Job', 'b-job', { 'driftless.dev/hook': 'PreSync' }),
      desired('Job', 'a-job', { 'driftless.dev/hook': 'PreSync' }),
      desired('ConfigMap', 'c-config', { 'driftless.dev/hook': 'PreSync,PostSync' }),
      desired('Job', 'post', { 'driftless.dev/hook': 'PostSync' }),
    ]);
    expect(hookWaves(hooks, 'PreSync').map((w) => w.map((h) => h.desired.ref.name))).toEqual([
      ['c-config', 'a-job', 'b-job'],
      ['z-late'],
    ]);
    expect(hookWaves(hooks, 'SyncFail')).toEqual([]);
  });
});

describe('hookOutcome', () => {
  const job = (conditions: { type: string; status: string; reason?: string }[]): KubeObject => ({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'j' },
    status: { conditions },
  });
  const pod = (status: Record<string, unknown>): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p' },
    status,
  });

  it('reads Jobs from their Complete and Failed conditions', () => {
    expect(hookOutcome(job([]))).toEqual({ state: 'Running', message: 'running' });
    expect(hookOutcome(job([{ type: 'Complete', status: 'True' }])).state).toBe('Succeeded');
    expect(
      hookOutcome(job([{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' }])),
    ).toEqual({ state: 'Failed', message: 'Failed: BackoffLimitExceeded' });
  });

  it('takes a Pod as done only when it ran to the end, not when it is ready', () => {
    const ready = { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] };
    expect(hookOutcome(pod(ready))).toEqual({ state: 'Running', message: 'phase Running' });
    expect(hookOutcome(pod({ phase: 'Succeeded' })).state).toBe('Succeeded');
    expect(
      hookOutcome(
        pod({
          phase: 'Failed',
          containerStatuses: [
            { name: 'run', state: { terminated: { exitCode: 3, reason: 'Error' } } },
          ],
        }),
      ),
    ).toEqual({ state: 'Failed', message: 'container run exited 3 (Error)' });
    expect(
      hookOutcome(
        pod({
          phase: 'Pending',
          containerStatuses: [{ name: 'run', state: { waiting: { reason: 'ImagePullBackOff' } } }],
        }),
      ),
    ).toEqual({ state: 'Failed', message: 'container run: ImagePullBackOff' });
  });

  it('judges other kinds by their health', () => {
    const cm: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } };
    expect(hookOutcome(cm).state).toBe('Succeeded');
    const custom = (status: string): KubeObject => ({
      apiVersion: 'example.com/v1',
      kind: 'Migration',
      metadata: { name: 'm', generation: 1 },
      status: { observedGeneration: 1, conditions: [{ type: 'Ready', status }] },
    });
    expect(hookOutcome(custom('True')).state).toBe('Succeeded');
    expect(hookOutcome(custom('Unknown')).state).toBe('Running');
    expect(hookOutcome(custom('False'))).toEqual({ state: 'Failed', message: 'Ready' });
  });
});
