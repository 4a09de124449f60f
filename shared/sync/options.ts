import type { ApplyProgress } from './apply.ts';
import type { HookPhase } from './hooks.ts';
import type { IgnoreRule } from './ignore-differences.ts';
import type { Inventory, RememberedInventory } from './inventory.ts';

export type SyncPhase = 'diff' | 'apply' | 'prune' | 'health' | HookPhase;

export interface SyncProgress {
  phase: SyncPhase;
  message: string;
  apply?: ApplyProgress;
}

/**
 * How one sync runs. The bounds have no default here: the engine's settings
 * hold every default, so a caller cannot get a second, different one.
 */
export interface SyncObjectsOptions {
  cluster: string;
  revision: string;
  previous?: Inventory;
  /**
   * Instead of `previous`: the last inventory as the head item remembers it,
   * read only when the live objects do not prove it (a drift check that
   * finds nothing then reads no inventory).
   */
  recall?: RememberedInventory;
  dryRun?: boolean;
  prune?: boolean;
  allowEmpty?: boolean;
  /** The application's spec.ignoreDifferences: fields neither compared nor applied. */
  ignoreDifferences?: IgnoreRule[];
  /** Create the destination namespace when it does not exist. */
  createNamespace?: boolean;
  /**
   * The application's AdoptExisting sync option: take over a live object of
   * a rendered name that carries no Driftless marks and is not in the
   * previous inventory. Off, such an object fails the sync before its first
   * write; an object's `driftless.dev/sync-options` annotation overrides it.
   */
  adoptExisting: boolean;
  /**
   * Wait for the applied objects to become healthy (not in dry runs). A sync
   * with PostSync hooks always waits: they run only once the objects are healthy.
   */
  waitForHealth?: boolean;
  /**
   * Bound on waiting for health, and on each hook phase (PreSync, PostSync,
   * SyncFail) separately: a hook not finished by then fails the sync.
   */
  healthTimeoutMs: number;
  /** Bound on the apply phase, including waiting for CRDs and recreations. */
  applyTimeoutMs: number;
  onProgress?: (progress: SyncProgress) => void;
  /**
   * Called with the inventory this sync may leave behind (the previous one
   * plus every object about to be written) before the first apply, so the
   * caller can store it: a reconciler killed mid-apply then still knows every
   * object it may have created, and a later sync can prune them.
   */
  beforeApply?: (intent: Inventory) => Promise<void>;
}
