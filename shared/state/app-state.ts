import * as z from 'zod';
import type { StateTable } from './client.ts';
import { updateHeadFenced } from './fence.ts';
import type { Lease } from './lease-proof.ts';

export type SyncStatus = 'Synced' | 'OutOfSync' | 'Unknown';
export type HealthStatus =
  'Healthy' | 'Progressing' | 'Degraded' | 'Suspended' | 'Missing' | 'Unknown';
export type SyncOutcome = 'succeeded' | 'failed' | 'noop';

/** What one sync did, small enough to keep on the head item and in every history entry. */
export interface SyncSummary {
  outcome: SyncOutcome;
  applied: number;
  pruned: number;
  unchanged: number;
  message?: string;
}

export interface SyncTimings {
  startedAt: number;
  finishedAt: number;
  /** Milliseconds per engine phase (fetch, render, diff, apply, ...). */
  phasesMs?: Record<string, number>;
}

/**
 * The sync currently under way. Written before the sync's first cluster write
 * and replaced by its outcome, so a marker whose lease is gone (see
 * `shownState` in head.ts) means the sync was interrupted: some objects may
 * already run `revision`, others the revision before.
 */
export interface SyncOperation {
  /** The commit being applied (always a SHA). */
  revision: string;
  startedAt: number;
  /** Fencing token of the run that wrote it: a later run's lease is not this sync's. */
  token?: number;
}

/**
 * Why an application is OutOfSync when no drift explains it: its last sync
 * failed, or it was interrupted (set only by readers, from a stale marker).
 */
export type SyncReason = 'Failed' | 'Interrupted';

/** Automated syncs stopped by a person until resumed (scheduled and webhook reconciles skip the app). */
export interface Suspension {
  by: string;
  at: number;
  reason?: string;
}

/**
 * After a rollback, automated syncs stay at `revision` while the branch
 * still points at `headRevision` (the commit that was rolled back); a newer
 * commit, or a person resuming, lifts the hold.
 */
export interface RollbackHold {
  revision: string;
  headRevision: string;
  by: string;
  at: number;
  reason?: string;
  /** The revision that was rolled back (set by automated rollbacks). */
  from?: string;
}

/**
 * A revision being watched after the sync that brought it (the app's
 * rollback policy): until `until` (epoch ms), Degraded health or a firing
 * alarm rolls it back; after, healthy and quiet, it has passed.
 */
export interface Bake {
  revision: string;
  startedAt: number;
  until: number;
  /** The bake failed but no earlier revision had passed one: nothing to roll back to. */
  failed?: string;
}

/** Newest first; enough rollback targets without letting the head item grow. */
export const BAKED_REVISIONS_KEPT = 10;

/**
 * How far one revision got through a rollout's waves (kept on the
 * application's own head item; each destination has its own state).
 * - Progressing: waves are still taking it;
 * - Complete: every wave runs it and has baked it;
 * - RolledBack: a wave failed it; the waves that had it went back.
 */
export interface RolloutStep {
  revision: string;
  /** The highest wave whose destinations all synced this revision; absent: none yet. */
  reachedWave?: number;
  status: 'Progressing' | 'Complete' | 'RolledBack';
  reason?: string;
  updatedAt: number;
}

/** Revisions a rollout record keeps, newest first. */
export const ROLLOUT_STEPS_KEPT = 10;

/**
 * One live object that no longer matches the synced revision, as a drift
 * check found it: what a sync would do to it (Created: it was deleted;
 * Configured: it was changed; Pruned: it should not be there) and why, in
 * words a person reads. Never a value: the reason comes from masked diffs.
 */
export interface DriftedObject {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
  action: 'Created' | 'Configured' | 'Pruned';
  reason: string;
}

/** Drifted objects kept on the head item (the count says how many there were). */
export const DRIFTED_OBJECTS_KEPT = 50;

export interface AppState {
  suspended?: Suspension;
  /** Digest of the Application spec last synced, so a changed definition is noticed at an unchanged commit. */
  specDigest?: string;
  /** Set while a rollback holds automated syncs: the app shows RolledBack. */
  hold?: RollbackHold;
  bake?: Bake;
  /** Revisions whose bake passed, newest first: the targets of an automated rollback. */
  bakedRevisions?: string[];
  /** A rollout application's record, newest revision first. */
  rollout?: RolloutStep[];
  /** The ref the last run asked for (a branch, tag or SHA), as declared or requested. */
  targetRevision?: string;
  /** The commit the last run resolved `targetRevision` to; absent when it resolved none. */
  desiredRevision?: string;
  syncedRevision?: string;
  syncStatus: SyncStatus;
  syncReason?: SyncReason;
  health: HealthStatus;
  operation?: SyncOperation;
  lastResult?: SyncSummary;
  error?: string;
  timings?: SyncTimings;
  /** Paths outside the application's own that its last render read; mirrored in the registry for webhook routing. */
  watchPaths?: string[];
  /**
   * Set while the live objects differ from the synced revision (found by a
   * scheduled drift check, selfHeal off or manual app): when the drift was
   * first seen (epoch ms), kept across checks until the cluster matches again.
   */
  driftedSince?: number;
  /** The drifted objects, sorted, at most DRIFTED_OBJECTS_KEPT of them. */
  drifted?: DriftedObject[];
  /** How many objects drifted, when more than the ones kept. */
  driftedCount?: number;
  /**
   * The last drift check could not finish (cluster or source unreachable);
   * the last sync's facts stand, and the next scheduled check tries again
   * instead of syncing.
   */
  checkError?: string;
}

export const syncSummarySchema = z.object({
  outcome: z.enum(['succeeded', 'failed', 'noop']),
  applied: z.number().int().nonnegative(),
  pruned: z.number().int().nonnegative(),
  unchanged: z.number().int().nonnegative(),
  message: z.string().optional(),
});

export const appStateSchema = z.object({
  suspended: z.object({ by: z.string(), at: z.number(), reason: z.string().optional() }).optional(),
  specDigest: z.string().optional(),
  hold: z
    .object({
      revision: z.string(),
      headRevision: z.string(),
      by: z.string(),
      at: z.number(),
      reason: z.string().optional(),
      from: z.string().optional(),
    })
    .optional(),
  bake: z
    .object({
      revision: z.string(),
      startedAt: z.number(),
      until: z.number(),
      failed: z.string().optional(),
    })
    .optional(),
  bakedRevisions: z.array(z.string()).max(BAKED_REVISIONS_KEPT).optional(),
  rollout: z
    .array(
      z.object({
        revision: z.string(),
        reachedWave: z.number().int().optional(),
        status: z.enum(['Progressing', 'Complete', 'RolledBack']),
        reason: z.string().optional(),
        updatedAt: z.number(),
      }),
    )
    .max(ROLLOUT_STEPS_KEPT)
    .optional(),
  targetRevision: z.string().optional(),
  desiredRevision: z.string().optional(),
  syncedRevision: z.string().optional(),
  syncStatus: z.enum(['Synced', 'OutOfSync', 'Unknown']),
  syncReason: z.enum(['Failed', 'Interrupted']).optional(),
  health: z.enum(['Healthy', 'Progressing', 'Degraded', 'Suspended', 'Missing', 'Unknown']),
  operation: z
    .object({ revision: z.string(), startedAt: z.number(), token: z.number().int().optional() })
    .optional(),
  lastResult: syncSummarySchema.optional(),
  error: z.string().optional(),
  timings: z
    .object({
      startedAt: z.number(),
      finishedAt: z.number(),
      phasesMs: z.record(z.string(), z.number()).optional(),
    })
    .optional(),
  watchPaths: z.array(z.string()).optional(),
  driftedSince: z.number().optional(),
  drifted: z
    .array(
      z.object({
        apiVersion: z.string(),
        kind: z.string(),
        namespace: z.string().optional(),
        name: z.string(),
        action: z.enum(['Created', 'Configured', 'Pruned']),
        reason: z.string(),
      }),
    )
    .max(DRIFTED_OBJECTS_KEPT)
    .optional(),
  driftedCount: z.number().int().nonnegative().optional(),
  checkError: z.string().optional(),
}) satisfies z.ZodType<AppState>;

/**
 * Replaces the application's state. Refused with `LeaseLostError` unless the
 * caller still holds the lease under the same fencing token.
 */
export async function writeState(table: StateTable, lease: Lease, state: AppState): Promise<void> {
  const valid = appStateSchema.parse(state);
  await updateHeadFenced(table, lease, 'write state', {
    expression: 'SET #state = :state, stateToken = :token, stateUpdatedAt = :now',
    names: { '#state': 'state' },
    values: {
      ':state': { S: JSON.stringify(valid) },
      ':token': { N: String(lease.token) },
      ':now': { N: String(table.now()) },
    },
  });
}
