import type { HookDeletePolicy, HookPhase } from './hook-types.ts';

/** Helm's own hook annotations, as `helm template` leaves them on the objects it prints. */
export const HELM_HOOK_ANNOTATION = 'helm.sh/hook';
export const HELM_HOOK_WEIGHT_ANNOTATION = 'helm.sh/hook-weight';
export const HELM_HOOK_DELETE_POLICY_ANNOTATION = 'helm.sh/hook-delete-policy';

/**
 * What a Helm hook becomes, as Argo CD maps them (docs/user-guide/helm.md):
 * install and upgrade hooks run around the sync; delete, rollback and test
 * hooks belong to Helm operations a sync never performs, so such an object is
 * left out altogether (`skip`), as Helm leaves it out of an install.
 */
export type HelmHook =
  | { kind: 'hook'; phases: HookPhase[]; deletePolicies: HookDeletePolicy[]; wave?: number }
  | { kind: 'skip'; reason: string }
  | { kind: 'invalid'; message: string };

const PHASE_OF: Record<string, HookPhase | undefined> = {
  'pre-install': 'PreSync',
  'pre-upgrade': 'PreSync',
  'post-install': 'PostSync',
  'post-upgrade': 'PostSync',
};
const NOT_RUN = new Set([
  'pre-delete',
  'post-delete',
  'pre-rollback',
  'post-rollback',
  'test',
  'test-success',
  'test-failure',
]);
const POLICY_OF: Record<string, HookDeletePolicy | undefined> = {
  'before-hook-creation': 'BeforeHookCreation',
  'hook-succeeded': 'HookSucceeded',
  'hook-failed': 'HookFailed',
};

function csv(value: string): string[] {
  return value
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
}

/** The Helm hook an object's annotations declare, if any. */
export function helmHookOf(annotations: Record<string, string>): HelmHook | undefined {
  const types = annotations[HELM_HOOK_ANNOTATION];
  if (types === undefined) return undefined;
  const listed = csv(types);
  const unknown = listed.find((t) => !(t in PHASE_OF) && !NOT_RUN.has(t));
  if (unknown !== undefined || listed.length === 0)
    return {
      kind: 'invalid',
      message: `annotation ${HELM_HOOK_ANNOTATION}: unknown hook "${unknown ?? types}"`,
    };
  const phases = [...new Set(listed.map((t) => PHASE_OF[t]).filter((p) => p !== undefined))];
  if (!phases.length)
    return { kind: 'skip', reason: `Helm ${listed.join(', ')} hook: not run by a sync` };
  const policyText = annotations[HELM_HOOK_DELETE_POLICY_ANNOTATION];
  // Helm 3 deletes a hook's previous run before creating it when no policy is given.
  const policyNames = policyText === undefined ? ['before-hook-creation'] : csv(policyText);
  const badPolicy = policyNames.find((p) => !POLICY_OF[p]);
  if (badPolicy !== undefined)
    return {
      kind: 'invalid',
      message: `annotation ${HELM_HOOK_DELETE_POLICY_ANNOTATION}: unknown policy "${badPolicy}"`,
    };
  const weight = annotations[HELM_HOOK_WEIGHT_ANNOTATION];
  if (weight !== undefined && !/^-?\d+$/.test(weight.trim()))
    return {
      kind: 'invalid',
      message: `annotation ${HELM_HOOK_WEIGHT_ANNOTATION} must be an integer, got "${weight}"`,
    };
  return {
    kind: 'hook',
    phases,
    deletePolicies: [...new Set(policyNames.map((p) => POLICY_OF[p]!))],
    ...(weight !== undefined ? { wave: Number.parseInt(weight, 10) } : {}),
  };
}
