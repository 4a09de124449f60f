import type { KubeObject } from '../kube/object.ts';

/** Label on every object Driftless applies; prune never touches an object without it. */
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY_VALUE = 'driftless';
/** Label naming the owning application, so its objects can be listed with a selector. */
export const APP_LABEL = 'driftless.dev/app';
/** Annotation naming the owning application (the authoritative mark). */
export const APP_ANNOTATION = 'driftless.dev/app';

export const FIELD_MANAGER = 'driftless';

/** User-facing annotations read from manifests. */
export const SYNC_WAVE_ANNOTATION = 'driftless.dev/sync-wave';
export const FORCE_ANNOTATION = 'driftless.dev/force';
export const PRUNE_ANNOTATION = 'driftless.dev/prune';
/** Makes an object a sync hook: `PreSync`, `PostSync` or `SyncFail` (comma-separated for several). */
export const HOOK_ANNOTATION = 'driftless.dev/hook';
/** When a hook object is deleted: `BeforeHookCreation` (default), `HookSucceeded`, `HookFailed`. */
export const HOOK_DELETE_POLICY_ANNOTATION = 'driftless.dev/hook-delete-policy';

/** A copy of `object` carrying the ownership marks of `app`. */
export function withOwnerMarks(object: KubeObject, app: string): KubeObject {
  return {
    ...object,
    metadata: {
      ...object.metadata,
      labels: { ...object.metadata.labels, [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [APP_LABEL]: app },
      annotations: { ...object.metadata.annotations, [APP_ANNOTATION]: app },
    },
  };
}

/** The application a live object belongs to, if it carries our marks. */
export function ownerOf(live: KubeObject): string | undefined {
  if (live.metadata.labels?.[MANAGED_BY_LABEL] !== MANAGED_BY_VALUE) return undefined;
  return live.metadata.annotations?.[APP_ANNOTATION];
}
