import type { Health } from '../health/status.ts';
import type { ObjectRef } from '../kube/object.ts';
import type { HookDeletePolicy, HookPhase } from './hooks.ts';
import type { Inventory } from './inventory.ts';
import type { OrphanReport } from './orphans.ts';

/**
 * What happened (or, in a dry run, would happen) to one object.
 * `Skipped`: stale but left in place (not ours any more, prune disabled, or
 * held back: a CRD or Namespace holding objects outside the application).
 */
export type ObjectAction = 'Created' | 'Configured' | 'Unchanged' | 'Pruned' | 'Skipped' | 'Failed';

export interface ObjectResult {
  ref: ObjectRef;
  action: ObjectAction;
  /** Where the manifest came from (path relative to the app dir, document index). */
  source?: { file: string; index: number };
  /** Unified diff of live → desired as YAML, Secret values masked. */
  diff?: string;
  /** Why it failed, or a note (recreated, prune skipped, ...). */
  message?: string;
  /** Deleted and created again because a field was immutable (annotation driftless.dev/force). */
  recreated?: boolean;
  health?: Health;
  /**
   * A stale CRD or Namespace: the objects outside the application that its
   * deletion takes (or took, or would take) with it, a few by name.
   */
  takes?: { objects: ObjectRef[]; total: number };
  /** Not pruned because of `takes`; kept in the inventory for a later prune. */
  heldBack?: boolean;
}

/**
 * What happened to one hook in one of its phases.
 * - Succeeded / Failed: it ran to that end (Failed includes not finishing in time).
 * - WouldRun: a dry run found changes, so a sync would run it (SyncFail hooks only if it fails).
 */
export interface HookResult {
  ref: ObjectRef;
  phase: HookPhase;
  status: 'Succeeded' | 'Failed' | 'WouldRun';
  source?: { file: string; index: number };
  message?: string;
  /** The delete policies that applied to it. */
  deletePolicies: HookDeletePolicy[];
  /** Deleted after it finished, by HookSucceeded or HookFailed. */
  deleted?: boolean;
}

/**
 * Where a failed sync stopped: `source`, `render`, `project` (an object
 * outside the application's project) or `diff` before anything was written; a hook phase; `apply` or `prune`; `health` when PostSync hooks
 * were due but the objects did not become healthy.
 */
export type SyncFailurePhase =
  'source' | 'render' | 'project' | 'diff' | 'PreSync' | 'apply' | 'prune' | 'health' | 'PostSync';

/**
 * - Synced: the cluster matches the revision (after a real sync, or found so by a dry run).
 * - OutOfSync: a dry run found differences, or prune was off and stale objects remain.
 * - Failed: nothing was applied (invalid input, failed dry-run, conflict) or an apply failed part-way.
 */
export type SyncStatus = 'Synced' | 'OutOfSync' | 'Failed';

export interface SyncTimings {
  sourceMs: number;
  renderMs: number;
  diffMs: number;
  applyMs: number;
  pruneMs: number;
  healthMs: number;
  /** PreSync, PostSync and SyncFail hooks together. */
  hooksMs: number;
  totalMs: number;
}

export interface SyncResult {
  app: string;
  /** The application's project; set by the engine's reconcile (a bare syncObjects knows none). */
  project?: string;
  cluster: string;
  revision: string;
  dryRun: boolean;
  status: SyncStatus;
  /** Set when status is Failed: the first reason, written for a person. */
  error?: string;
  /** Set when status is Failed: the step that failed (absent when the cluster failed mid-step). */
  phase?: SyncFailurePhase;
  objects: ObjectResult[];
  /** Hooks run (or, in a dry run, that would run), in the order they ran. Never in the inventory. */
  hooks: HookResult[];
  counts: Record<ObjectAction, number>;
  health: Health;
  /**
   * What to remember for the next sync. After a part-way failure it keeps
   * the previous entries as well, so nothing applied can escape a later prune.
   */
  inventory: Inventory;
  /** Digest of every rendered object, to tell later whether a revision renders the same. */
  manifestDigest: string;
  /**
   * Repository paths outside the application's path that its render read
   * (a Kustomize overlay's bases, components and patch files); set when the
   * source was rendered. Webhook routing watches them as well.
   */
  watchPaths?: string[];
  /**
   * Objects in the application's namespaces that no application declared,
   * when its project asks (`orphanedResources.warn`); a warning, never a failure.
   */
  orphans?: OrphanReport;
  timings: SyncTimings;
}

/** Timings of a run that measured nothing yet. */
export const NO_TIMINGS: SyncTimings = {
  sourceMs: 0,
  renderMs: 0,
  diffMs: 0,
  applyMs: 0,
  pruneMs: 0,
  healthMs: 0,
  hooksMs: 0,
  totalMs: 0,
};

/** What a sync of rendered objects measures; the engine adds source, render and total. */
export type SyncStepTimings = Omit<SyncTimings, 'sourceMs' | 'renderMs' | 'totalMs'>;

/** A SyncResult whose timings cover only part of the run. */
export type SyncResultWith<T> = Omit<SyncResult, 'timings'> & { timings: T };

/** What `syncObjects` returns: a SyncResult before the engine adds its own timings. */
export type SyncObjectsResult = SyncResultWith<SyncStepTimings>;

/** Which sync a result is about. */
export type SyncHeader = Pick<SyncResult, 'app' | 'cluster' | 'revision' | 'dryRun'>;

export interface SyncFailure<T> extends SyncHeader {
  error: string;
  /** Undefined when the cluster failed mid-step. */
  phase: SyncFailurePhase | undefined;
  /**
   * The inventory of the last successful sync. Required, as it becomes the
   * result's inventory: a failed sync that forgot it would leave objects
   * no later sync could prune.
   */
  previous: Inventory | undefined;
  timings: T;
  /** The objects to blame; none when the sync failed before it had any. */
  objects?: ObjectResult[];
  hooks?: HookResult[];
  /** Empty when nothing was rendered. */
  manifestDigest?: string;
  watchPaths?: string[];
}

/** The one way a failed SyncResult is made, wherever the run failed. */
export function failedResult<T extends Partial<SyncTimings>>(
  failure: SyncFailure<T>,
): SyncResultWith<T> {
  const objects = failure.objects ?? [];
  return {
    app: failure.app,
    cluster: failure.cluster,
    revision: failure.revision,
    dryRun: failure.dryRun,
    status: 'Failed',
    error: failure.error,
    phase: failure.phase,
    objects,
    counts: countActions(objects),
    hooks: failure.hooks ?? [],
    health: { status: 'Unknown' },
    inventory: failure.previous ?? { revision: '', entries: [] },
    manifestDigest: failure.manifestDigest ?? '',
    watchPaths: failure.watchPaths,
    timings: failure.timings,
  };
}

export function countActions(objects: ObjectResult[]): Record<ObjectAction, number> {
  const counts: Record<ObjectAction, number> = {
    Created: 0,
    Configured: 0,
    Unchanged: 0,
    Pruned: 0,
    Skipped: 0,
    Failed: 0,
  };
  for (const o of objects) counts[o.action]++;
  return counts;
}
