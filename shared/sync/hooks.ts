import { assessHealth } from '../health/assess.ts';
import { describeCondition, findCondition } from '../health/conditions.ts';
import { podHealth } from '../health/pod.ts';
import { describeRef, groupOf, type KubeObject } from '../kube/object.ts';
import { kindRank } from './order.ts';
import { helmHookOf, type HelmHook } from './helm-hooks.ts';
import {
  HOOK_ANNOTATION,
  HOOK_DELETE_POLICY_ANNOTATION,
  SYNC_WAVE_ANNOTATION,
} from './ownership.ts';
import type { DesiredObject, PrepareProblem } from './prepare.ts';

import type { HookDeletePolicy, HookPhase } from './hook-types.ts';

export type { HookDeletePolicy, HookPhase };

/** In the order a sync runs them. */
export const HOOK_PHASES: readonly HookPhase[] = ['PreSync', 'PostSync', 'SyncFail'];
const DELETE_POLICIES: readonly HookDeletePolicy[] = [
  'BeforeHookCreation',
  'HookSucceeded',
  'HookFailed',
];

/** A rendered object annotated as a hook: run in its phases, never part of the inventory. */
export interface Hook {
  desired: DesiredObject;
  phases: HookPhase[];
  deletePolicies: HookDeletePolicy[];
}

/** How far a hook has got, read from its live object. */
export type HookOutcome =
  | { state: 'Running'; message: string }
  | { state: 'Succeeded'; message?: string }
  | { state: 'Failed'; message: string };

function csv(value: string): string[] {
  return value
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
}

/**
 * Splits the prepared objects into hooks and the objects the sync applies,
 * diffs, prunes and keeps in its inventory. Helm hook annotations map as in
 * Argo CD (helm-hooks.ts); a Helm hook no sync runs (test, delete, rollback)
 * is left out. Unknown phases or delete
 * policies are problems, reported like any invalid object, so a typo never
 * turns a hook into a plain object that is applied on every sync.
 */
export function selectHooks(desired: DesiredObject[]): {
  main: DesiredObject[];
  hooks: Hook[];
  problems: PrepareProblem[];
} {
  const main: DesiredObject[] = [];
  const hooks: Hook[] = [];
  const problems: PrepareProblem[] = [];
  for (const d of desired) {
    const annotations = d.object.metadata.annotations ?? {};
    const phaseText = annotations[HOOK_ANNOTATION];
    const fail = (message: string): void => {
      problems.push({ ref: d.ref, source: d.source, message: `${describeRef(d.ref)}: ${message}` });
    };
    if (phaseText === undefined) {
      // Our annotation wins; without it, a Helm chart's own hook annotations count.
      const helm = helmHookOf(annotations);
      if (!helm) main.push(d);
      else if (helm.kind === 'invalid') fail(helm.message);
      else if (helm.kind === 'hook') hooks.push(helmHook(d, annotations, helm));
      continue;
    }
    const phases = csv(phaseText);
    const badPhase = phases.find((p) => !HOOK_PHASES.includes(p as HookPhase));
    if (badPhase !== undefined || phases.length === 0) {
      fail(
        `annotation ${HOOK_ANNOTATION} must list ${HOOK_PHASES.join(', ')}; got "${badPhase ?? phaseText}"`,
      );
      continue;
    }
    const policyText = annotations[HOOK_DELETE_POLICY_ANNOTATION];
    const policies = policyText === undefined ? ['BeforeHookCreation'] : csv(policyText);
    const badPolicy = policies.find((p) => !DELETE_POLICIES.includes(p as HookDeletePolicy));
    if (badPolicy !== undefined || policies.length === 0) {
      fail(
        `annotation ${HOOK_DELETE_POLICY_ANNOTATION} must list ${DELETE_POLICIES.join(', ')}; got "${badPolicy ?? policyText}"`,
      );
      continue;
    }
    hooks.push({
      desired: d,
      phases: [...new Set(phases as HookPhase[])],
      deletePolicies: [...new Set(policies as HookDeletePolicy[])],
    });
  }
  return { main, hooks, problems };
}

/** A Helm hook as ours; its weight is its wave unless the object names one. */
function helmHook(
  d: DesiredObject,
  annotations: Record<string, string>,
  helm: Extract<HelmHook, { kind: 'hook' }>,
): Hook {
  const wave =
    annotations[SYNC_WAVE_ANNOTATION] === undefined && helm.wave !== undefined ? helm.wave : d.wave;
  return { desired: { ...d, wave }, phases: helm.phases, deletePolicies: helm.deletePolicies };
}

/**
 * The hooks of one phase as waves run one after another: by
 * `driftless.dev/sync-wave`, and inside a wave by kind (as the main apply
 * orders kinds) then name, the order in which they are created.
 */
export function hookWaves(hooks: Hook[], phase: HookPhase): Hook[][] {
  const sorted = hooks
    .filter((h) => h.phases.includes(phase))
    .sort(
      (a, b) =>
        a.desired.wave - b.desired.wave ||
        kindRank(a.desired.ref.kind) - kindRank(b.desired.ref.kind) ||
        a.desired.ref.kind.localeCompare(b.desired.ref.kind) ||
        a.desired.ref.name.localeCompare(b.desired.ref.name),
    );
  const waves: Hook[][] = [];
  for (const hook of sorted) {
    const last = waves.at(-1);
    if (last && last[0]!.desired.wave === hook.desired.wave) last.push(hook);
    else waves.push([hook]);
  }
  return waves;
}

/**
 * Whether a hook has finished, from its live object. A Job finishes when its
 * Complete or Failed condition is true and a Pod when it reaches phase
 * Succeeded or Failed: a running, ready Pod is healthy but not done. Any
 * other kind succeeds once healthy and fails once degraded.
 */
export function hookOutcome(live: KubeObject): HookOutcome {
  const group = groupOf(live.apiVersion);
  if (group === 'batch' && live.kind === 'Job') {
    const failed = findCondition(live.status, 'Failed');
    if (failed?.status === 'True') return { state: 'Failed', message: describeCondition(failed) };
    const complete = findCondition(live.status, 'Complete');
    if (complete?.status === 'True') return { state: 'Succeeded', message: 'completed' };
    return { state: 'Running', message: 'running' };
  }
  if (group === '' && live.kind === 'Pod') {
    const phase = (live.status as { phase?: string } | undefined)?.phase;
    if (phase === 'Succeeded') return { state: 'Succeeded', message: 'completed' };
    // Degraded covers phase Failed and containers stuck (image pull, config).
    const health = podHealth(live);
    if (health.status === 'Degraded')
      return { state: 'Failed', message: exitOf(live) ?? health.message ?? 'pod failed' };
    return { state: 'Running', message: `phase ${phase ?? 'Pending'}` };
  }
  const health = assessHealth(live);
  if (health.status === 'Healthy') return { state: 'Succeeded', message: health.message };
  if (health.status === 'Degraded')
    return { state: 'Failed', message: health.message ?? 'degraded' };
  return { state: 'Running', message: health.message ?? health.status.toLowerCase() };
}

/** `container x exited 1 (Error)` for the first container that failed, when the Pod says. */
function exitOf(pod: KubeObject): string | undefined {
  const statuses = (
    pod.status as
      | {
          containerStatuses?: {
            name: string;
            state?: { terminated?: { exitCode?: number; reason?: string } };
          }[];
        }
      | undefined
  )?.containerStatuses;
  const failed = statuses?.find((c) => (c.state?.terminated?.exitCode ?? 0) !== 0);
  const t = failed?.state?.terminated;
  return t
    ? `container ${failed.name} exited ${t.exitCode}${t.reason ? ` (${t.reason})` : ''}`
    : undefined;
}
