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
/**
 * Sync options of one object, comma-separated, as Argo CD's
 * `argocd.argoproj.io/sync-options`: `AdoptExisting=true|false` overrides the
 * application's syncOption for that object.
 */
export const SYNC_OPTIONS_ANNOTATION = 'driftless.dev/sync-options';

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

/**
 * Whether `object` may adopt a live object that carries no Driftless marks:
 * its own `AdoptExisting=` sync option if it has one (`false` wins over a
 * `true` beside it), else the application's.
 */
export function adoptsExisting(object: KubeObject, appAdopts: boolean): boolean {
  const options = (object.metadata.annotations?.[SYNC_OPTIONS_ANNOTATION] ?? '')
    .split(',')
    .map((o) => o.trim());
  if (options.includes('AdoptExisting=false')) return false;
  return options.includes('AdoptExisting=true') || appAdopts;
}

/**
 * Why application `app` may not write its manifest over `live` (the message
 * follows the object's name), if it may not. Another application's object is
 * never taken over. One without our marks is written only when it is ours
 * already (in the previous inventory: someone removed the marks) or
 * `mayAdopt` says it may be adopted; otherwise a forced apply would quietly
 * take over whatever shares the name (kube-system/aws-auth).
 */
export function writeRefusal(
  live: KubeObject | undefined,
  app: string,
  mayAdopt: boolean,
): string | undefined {
  if (!live) return undefined;
  const owner = ownerOf(live);
  if (owner === app) return undefined;
  if (owner) return `belongs to application "${owner}"; it is not taken over`;
  if (mayAdopt) return undefined;
  // Our label without an application: a namespace made by CreateNamespace=true.
  const state =
    live.metadata.labels?.[MANAGED_BY_LABEL] === MANAGED_BY_VALUE
      ? `belongs to no Driftless application (no ${APP_ANNOTATION} annotation)`
      : 'was not created by Driftless';
  return `exists and ${state}; it is not adopted (set syncOptions AdoptExisting=true on the application, or annotate the manifest ${SYNC_OPTIONS_ANNOTATION}: AdoptExisting=true)`;
}
