// The API's answers as the UI reads them (shared/api/*). Only the fields the
// pages show are named; the API may send more.

export type SyncStatus = 'Synced' | 'OutOfSync' | 'Unknown';
export type HealthStatus =
  'Healthy' | 'Progressing' | 'Degraded' | 'Suspended' | 'Missing' | 'Unknown';

export interface DriftedObject {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
  action: 'Created' | 'Configured' | 'Pruned';
  reason: string;
}

export interface RolloutStep {
  revision: string;
  reachedWave?: number;
  status: 'Progressing' | 'Complete' | 'RolledBack';
  reason?: string;
  updatedAt: number;
}

export interface AppState {
  suspended?: { by: string; at: number; reason?: string };
  hold?: { revision: string; headRevision: string; by: string; at: number; reason?: string };
  bake?: { revision: string; startedAt: number; until: number; failed?: string };
  rollout?: RolloutStep[];
  targetRevision?: string;
  desiredRevision?: string;
  syncedRevision?: string;
  syncStatus: SyncStatus;
  syncReason?: 'Failed' | 'Interrupted';
  health: HealthStatus;
  lastResult?: { outcome: 'succeeded' | 'failed' | 'noop'; applied: number; pruned: number };
  error?: string;
  timings?: { startedAt: number; finishedAt: number };
  driftedSince?: number;
  drifted?: DriftedObject[];
  driftedCount?: number;
  checkError?: string;
}

export interface DestinationState {
  cluster: string;
  namespace?: string;
  wave: number;
  alarms?: string[];
  key: string;
  state: AppState | null;
}

export interface AppSummary {
  name: string;
  file: string;
  project?: string;
  cluster?: string;
  namespace?: string;
  destinations?: DestinationState[];
  repoURL?: string;
  path?: string;
  targetRevision?: string;
  automated?: boolean;
  disabled?: string;
  state: AppState | null;
  syncing: boolean;
}

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}

export interface Health {
  status: HealthStatus;
  message?: string;
}

export interface TreeNode extends ObjectRef {
  live: boolean;
  uid?: string;
  health: Health;
  createdAt?: string;
  children: TreeNode[];
}

export interface TreeAnswer {
  app: string;
  cluster: string;
  revision: string | null;
  tree: TreeNode[];
}

export interface ObjectResult {
  ref: ObjectRef;
  action: 'Created' | 'Configured' | 'Unchanged' | 'Pruned' | 'Skipped' | 'Failed';
  diff?: string;
  message?: string;
  health?: Health;
}

export interface HookResult {
  ref: ObjectRef;
  phase: string;
  status: 'Succeeded' | 'Failed' | 'WouldRun';
  message?: string;
}

export interface DiffAnswer {
  revision: string;
  cluster: string;
  status: 'Synced' | 'OutOfSync' | 'Failed';
  error?: string;
  objects: ObjectResult[];
  hooks: HookResult[];
  counts: Record<ObjectResult['action'], number>;
}

export interface HistoryRecord {
  seq: number;
  revision: string;
  source: { repoURL: string; path: string };
  result: {
    outcome: 'succeeded' | 'failed' | 'noop';
    applied: number;
    pruned: number;
    message?: string;
  };
  trigger: {
    kind: 'schedule' | 'webhook' | 'manual' | 'rollback';
    by?: string;
    rollbackOf?: number;
    reason?: string;
  };
  hooks?: HookResult[];
  startedAt: number;
  finishedAt: number;
}

export type HistoryAnswer =
  | { app: string; history: HistoryRecord[] }
  | { app: string; destinations: { cluster: string; wave: number; history: HistoryRecord[] }[] };

export interface RolloutAnswer {
  app: string;
  alarmSource: boolean;
  destinations: (Omit<DestinationState, 'alarms'> & {
    alarms: { name: string; state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA' | 'Unreadable' }[];
  })[];
  steps: RolloutStep[];
}

/** What a write route answers (202 for sync and rollback). */
export interface WriteAnswer {
  message?: string;
}
