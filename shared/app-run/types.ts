import type { Application } from '../config/application.ts';
import type { Project } from '../config/project.ts';
import type { RunMode } from '../config/run-trigger.ts';
import type { ClusterConnection } from '../kube/client.ts';
import type { ReconcileProgress } from '../engine/reconcile.ts';
import type { EngineSettings, RunRequest } from '../engine/settings.ts';
import type { SyncTrigger } from '../state/history.ts';
import type { StateTable } from '../state/client.ts';
import type { DriftedObject } from '../state/app-state.ts';
import type { AlarmSource } from '../rollback/alarms.ts';
import type { SyncResult } from '../sync/result.ts';
import type { Health } from '../health/status.ts';

export type { RunMode };

export interface AppRunInput {
  table: StateTable;
  settings: EngineSettings;
  app: Application;
  /** The application's project, resolved when it was registered; absent: the built-in default. */
  project?: Project;
  /** Resolved only when the cluster is actually needed. */
  connect: () => Promise<ClusterConnection>;
  /**
   * Where lease, state, inventory and history live. Default: the application's
   * name; one destination of a rollout has its own (`NAME@cluster`).
   */
  stateKey?: string;
  /** Unique per attempt (a Lambda request id, a CLI run id): the lease owner. */
  owner: string;
  trigger: SyncTrigger;
  mode: RunMode;
  /** Revision, prune, health wait and timeout for this run; whether to write follows from `mode`. */
  request?: Omit<RunRequest, 'dryRun'>;
  /**
   * Aborted when the caller must stop writing to the cluster (a Lambda near
   * its deadline); the engine stops as it does when the lease is lost.
   */
  signal?: AbortSignal;
  onProgress?: (progress: ReconcileProgress) => void;
  /**
   * Told just before a sync starts writing a revision other than the one
   * synced (a forge's `pending` status); `key` is the state key. Must not
   * throw, and is not waited for.
   */
  onSyncStart?: (start: { key: string; revision: string }) => void;
  /** Where the rollback policy's alarms are read; only apps whose policy names alarms need it. */
  alarms?: AlarmSource;
  /**
   * The commit automated syncs follow, and that a rollback's hold waits to
   * move from, when the caller resolved it already (a rollout decides it for
   * each wave). Default: the head of spec.source.targetRevision.
   */
  head?: string;
  /**
   * The paths the registry routes webhooks on for this application now, when
   * the caller read its registry entry; a reconcile whose render read other
   * paths records them. Default: compared with the paths in the last state.
   */
  registeredWatchPaths?: string[];
}

/** A failed bake rolled the application back within this reconcile. */
export interface AutomatedRollback {
  from: string;
  to: string;
  reason: string;
  /** The sync of `to`. */
  result: SyncResult;
  historySeq?: number;
}

export type AppRunOutcome =
  | { status: 'busy'; holder?: string; retryAfterMs: number }
  | {
      status: 'skipped';
      reason: string;
      revision?: string;
      /** A drift check found the synced revision's health changed and settled (see checkOutcome). */
      settled?: Health;
    }
  | {
      status: 'done';
      result: SyncResult;
      historySeq?: number;
      /** The revision synced before this reconcile: tells a drift repair from a new commit. */
      previousRevision?: string;
      rollback?: AutomatedRollback;
      /** A drift check (a dry run at the synced revision) found the cluster changed. */
      drift?: DriftFound;
      /** Where the rollback policy's bake of `result.revision` stands after this run. */
      bake?: BakeProgress;
      /** A drift check found the synced revision's health changed and settled. */
      settled?: Health;
    };

/**
 * A revision still watched by its bake (until when), one whose bake passed,
 * or one whose bake failed with no earlier revision to roll back to.
 */
export type BakeProgress =
  { status: 'baking'; until: number } | { status: 'passed' } | { status: 'failed'; reason: string };

/** What a drift check found: the drifted objects, since when, and whether this check found it first. */
export interface DriftFound {
  since: number;
  /** At most DRIFTED_OBJECTS_KEPT of them; `count` says how many drifted. */
  objects: DriftedObject[];
  count: number;
  /** This check saw the app go from in sync to drifted: the start of an episode. */
  detected: boolean;
}
