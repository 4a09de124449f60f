import { randomBytes } from 'node:crypto';
import type { SourceOptions } from '../source/index.ts';
import { DEFAULT_LEASE_TTL_MS } from '../state/lease.ts';

/** Where the renderer binaries are and how long one run may take. */
export interface RenderSettings {
  /** Binary paths; otherwise DRIFTLESS_KUSTOMIZE / DRIFTLESS_HELM, then PATH. */
  binaries?: { kustomize?: string; helm?: string };
  /** Longest one kustomize or helm run may take. */
  toolTimeoutMs: number;
  /** The cluster version for Helm's `.Capabilities`, instead of asking the server (tests, benchmarks). */
  kubeVersion?: string;
  /**
   * Seals the Secrets of cached renders (32 bytes, AES-256-GCM). Kept out of
   * the cache folder: a process's own random key (a Lambda container, whose
   * /tmp cache lives as long), or the CLI's key in the user's config folder.
   */
  cacheSealKey: Buffer;
}

/**
 * How the engine runs in this process: built once where the process starts
 * (a Lambda container, a CLI command, `driftless serve`) and passed down
 * unchanged; what one run is asked to do travels separately (RunRequest).
 */
export interface EngineSettings {
  /** Git access: cache folder (on Lambda under /tmp), credentials, timeout. */
  source: SourceOptions;
  render: RenderSettings;
  /** Requests in flight at once per reconcile: dry-runs, applies, reads. */
  concurrency: number;
  /** Bound on the apply phase when the run sets none. */
  applyTimeoutMs: number;
  /** An application's lease; renewed at a third of it while a run holds it. */
  leaseTtlMs: number;
  /**
   * How long after an inventory was written a drift check waits before it
   * records resourceVersions that moved without drift (status writes): an
   * object whose status changes on every tick would otherwise rewrite the
   * inventory on every tick.
   */
  versionRecordAfterMs: number;
}

// Lives as long as the process: renders cached by it are sealed for it alone.
const processSealKey = randomBytes(32);

/** Every default of the engine, in one place. */
export const ENGINE_DEFAULTS = {
  // As many as the client's sockets (kube/client.ts): at a 20 ms round trip a
  // first apply of 1,000 objects took 4.9 s at 16, 3.8-4.3 s at 32 (bench/).
  concurrency: 32,
  applyTimeoutMs: 5 * 60_000,
  toolTimeoutMs: 60_000,
  leaseTtlMs: DEFAULT_LEASE_TTL_MS,
  versionRecordAfterMs: 30 * 60_000,
} as const;

export interface EngineSettingsInput {
  source: SourceOptions;
  render?: Partial<RenderSettings>;
  concurrency?: number;
  applyTimeoutMs?: number;
  leaseTtlMs?: number;
  versionRecordAfterMs?: number;
}

export function engineSettings(input: EngineSettingsInput): EngineSettings {
  return {
    source: input.source,
    render: {
      toolTimeoutMs: ENGINE_DEFAULTS.toolTimeoutMs,
      cacheSealKey: processSealKey,
      ...input.render,
    },
    concurrency: input.concurrency ?? ENGINE_DEFAULTS.concurrency,
    applyTimeoutMs: input.applyTimeoutMs ?? ENGINE_DEFAULTS.applyTimeoutMs,
    leaseTtlMs: input.leaseTtlMs ?? ENGINE_DEFAULTS.leaseTtlMs,
    versionRecordAfterMs: input.versionRecordAfterMs ?? ENGINE_DEFAULTS.versionRecordAfterMs,
  };
}

/**
 * What one run is asked to do beyond the application's spec. Nothing here
 * edits the spec: state records the Application as declared.
 */
export interface RunRequest {
  /** Sync this commit (or ref) instead of the spec's targetRevision: rollback, `--revision`. */
  revision?: string;
  /** Compute and report only; write nothing to the cluster. */
  dryRun?: boolean;
  /** Delete objects removed from the source. Default: the app's syncPolicy.automated.prune. */
  prune?: boolean;
  /** Wait for health after applying. Default true. */
  waitForHealth?: boolean;
  /**
   * Bound on the whole run (`--timeout`, the API's timeoutMs): its one
   * deadline, see runTimeout. Default: the settings' apply timeout plus the
   * spec's healthTimeout.
   */
  timeoutMs?: number;
}

/** How long one run may take in all, and how to say so when it took longer. */
export interface RunTimeout {
  ms: number;
  /** What set it, for the message of a run stopped by it: `timeout 10 s`. */
  description: string;
}

const seconds = (ms: number): string => `${Math.round(ms / 100) / 10} s`;

/**
 * The one bound of a run, from its start, on every path (CLI with state or
 * without, reconciler, API): the request's timeout when it sets one,
 * otherwise the apply timeout plus the application's health timeout. Every
 * phase ends by it, whatever its own bound (the apply timeout, the health
 * wait, each hook phase), and no Kubernetes request is sent past it. A
 * Lambda's own end stops a run sooner through the caller's signal.
 */
export function runTimeout(
  request: RunRequest,
  healthTimeoutMs: number,
  settings: EngineSettings,
): RunTimeout {
  if (request.timeoutMs !== undefined)
    return { ms: request.timeoutMs, description: `timeout ${seconds(request.timeoutMs)}` };
  return {
    ms: settings.applyTimeoutMs + healthTimeoutMs,
    description: `apply timeout ${seconds(settings.applyTimeoutMs)} + healthTimeout ${seconds(healthTimeoutMs)}`,
  };
}
