import { applyObject } from '../kube/operations.ts';
import { describeRef, objectKey } from '../kube/object.ts';
import type { RenderedObject } from '../render/types.ts';
import { applyPlan, type ApplyProgress } from './apply.ts';
import { checkHooks } from './check-hooks.ts';
import type { SyncContext } from './context.ts';
import { planObjects, type PlannedObject } from './diff.ts';
import { sha256 } from './digest.ts';
import { hooksThatWouldRun } from './dry-run-report.ts';
import { selectHooks, type HookPhase } from './hooks.ts';
import type { Inventory, InventoryEntry } from './inventory.ts';
import { SecretMasker } from './mask-secrets.ts';
import type { HealthReport, Watched } from './observe-health.ts';
import { healthReport, observeHealth, waitForHealth } from './observe-health.ts';
import { FIELD_MANAGER, MANAGED_BY_LABEL, MANAGED_BY_VALUE } from './ownership.ts';
import { prepareObjects, type DesiredObject } from './prepare.ts';
import { findStale, pruneStale, type StaleObject } from './prune.ts';
import {
  countActions,
  type HookResult,
  type ObjectResult,
  type SyncFailurePhase,
  type SyncResult,
  type SyncStatus,
} from './result.ts';
import { runHookPhase } from './run-hooks.ts';

export type SyncPhase = 'diff' | 'apply' | 'prune' | 'health' | HookPhase;

export interface SyncProgress {
  phase: SyncPhase;
  message: string;
  apply?: ApplyProgress;
}

export interface SyncObjectsOptions {
  cluster: string;
  revision: string;
  previous?: Inventory;
  dryRun?: boolean;
  prune?: boolean;
  allowEmpty?: boolean;
  /** Create the destination namespace when it does not exist. */
  createNamespace?: boolean;
  /**
   * Wait for the applied objects to become healthy (not in dry runs). A sync
   * with PostSync hooks always waits: they run only once the objects are healthy.
   */
  waitForHealth?: boolean;
  /**
   * Bound on waiting for health, and on each hook phase (PreSync, PostSync,
   * SyncFail) separately: a hook not finished by then fails the sync.
   */
  healthTimeoutMs?: number;
  /** Bound on the apply phase, including waiting for CRDs and recreations. */
  applyTimeoutMs?: number;
  onProgress?: (progress: SyncProgress) => void;
  /**
   * Called with the inventory this sync may leave behind (the previous one
   * plus every object about to be written) before the first apply, so the
   * caller can store it: a reconciler killed mid-apply then still knows every
   * object it may have created, and a later sync can prune them.
   */
  beforeApply?: (intent: Inventory) => Promise<void>;
}

const NAMESPACE_INFO = {
  group: '',
  version: 'v1',
  kind: 'Namespace',
  resource: 'namespaces',
  namespaced: false,
};

function entryOf(d: DesiredObject, resourceVersion: string | undefined): InventoryEntry {
  return { ...d.ref, ...(resourceVersion ? { resourceVersion } : {}), digest: d.digest };
}

function watchedOf(desired: DesiredObject[]): Watched[] {
  return desired.filter((d) => d.info).map((d) => ({ ref: d.ref, info: d.info! }));
}

function hookFailed(phase: HookPhase, r: HookResult | undefined): string | undefined {
  return r && `${phase} hook ${describeRef(r.ref)} failed: ${r.message ?? 'failed'}`;
}

/**
 * Makes the cluster match the rendered objects for one application: prepare,
 * diff (dry-run), PreSync hooks, apply in stages, prune, assess health,
 * PostSync hooks; SyncFail hooks when a step after the first write fails.
 * Any invalid object, failed dry-run or ownership conflict stops the sync
 * before the first write.
 *
 * Hooks (objects annotated `driftless.dev/hook`) run only when the sync has
 * something to write, as Argo CD runs them only in a sync operation; they are
 * never diffed, pruned or kept in the inventory. Each hook phase is bounded
 * by `healthTimeoutMs`.
 */
export async function syncObjects(
  ctx: SyncContext,
  rendered: RenderedObject[],
  options: SyncObjectsOptions,
): Promise<
  Omit<SyncResult, 'timings'> & {
    timings: Omit<SyncResult['timings'], 'sourceMs' | 'renderMs' | 'totalMs'>;
  }
> {
  const masker = new SecretMasker();
  const previous = options.previous?.entries ?? [];
  const progress = (phase: SyncPhase, message: string, apply?: ApplyProgress): void =>
    options.onProgress?.({ phase, message, ...(apply ? { apply } : {}) });
  const timings = { diffMs: 0, applyMs: 0, pruneMs: 0, healthMs: 0, hooksMs: 0 };
  const base = {
    app: ctx.app,
    cluster: options.cluster,
    revision: options.revision,
    dryRun: Boolean(options.dryRun),
  };
  const previousInventory: Inventory = options.previous ?? { revision: '', entries: [] };

  let started = Date.now();
  progress('diff', `comparing ${rendered.length} objects with the cluster`);
  const { objects: prepared, problems: prepareProblems } = await prepareObjects(ctx, rendered);
  const manifestDigest = sha256(
    prepared
      .map((d) => `${d.key}=${d.digest}`)
      .sort()
      .join('\n'),
  );
  const { main: desired, hooks, problems: hookProblems } = selectHooks(prepared);
  const problems = [...prepareProblems, ...hookProblems];
  const failure = (
    error: string,
    objects: ObjectResult[],
    phase: SyncFailurePhase = 'diff',
    hookResults: HookResult[] = [],
  ) => ({
    ...base,
    status: 'Failed' as const,
    error,
    phase,
    objects,
    counts: countActions(objects),
    hooks: hookResults,
    health: { status: 'Unknown' as const },
    inventory: previousInventory,
    manifestDigest,
    timings: { ...timings, diffMs: Date.now() - started },
  });
  if (problems.length) {
    return failure(
      `${problems.length} object(s) are invalid; nothing was applied. ${problems[0]!.message} (${problems[0]!.source.file}#${problems[0]!.source.index})`,
      problems.map((p) => ({ ref: p.ref, action: 'Failed', source: p.source, message: p.message })),
    );
  }

  const namespacesCreated = new Set(
    desired
      .filter((d) => d.object.kind === 'Namespace' && d.object.apiVersion === 'v1')
      .map((d) => d.ref.name),
  );
  if (options.createNamespace && ctx.namespace) namespacesCreated.add(ctx.namespace);
  // A drift check reads health while it plans, as both only read; objects
  // that turn out not to exist yet are left out of the report afterwards.
  const healthStarted = Date.now();
  const healthRead = options.dryRun
    ? observeHealth(ctx, watchedOf(desired)).then((report) => {
        timings.healthMs = Date.now() - healthStarted;
        return report;
      })
    : undefined;
  // Awaited below; a plan that fails first returns without it.
  healthRead?.catch(() => {});
  const plan = await planObjects(ctx, desired, previous, {
    masker,
    namespacesCreatedBySync: namespacesCreated,
  });
  const hookFailures = await checkHooks(ctx, hooks, namespacesCreated);
  // An object that became a hook is not stale: it is no longer kept in the
  // inventory, but its hook runs replace it.
  const stale = await findStale(ctx, previous, new Set(prepared.map((d) => d.key)));
  timings.diffMs = Date.now() - started;

  const toResult = (p: PlannedObject): ObjectResult => ({
    ref: p.desired.ref,
    action: p.action,
    source: p.desired.source,
    ...(p.diff ? { diff: p.diff } : {}),
    ...(p.message ? { message: p.message } : {}),
    ...(p.recreate ? { recreated: true } : {}),
  });
  const staleResult = (s: StaleObject, pruned: boolean): ObjectResult => ({
    ref: {
      apiVersion: s.entry.apiVersion,
      kind: s.entry.kind,
      ...(s.entry.namespace ? { namespace: s.entry.namespace } : {}),
      name: s.entry.name,
    },
    action: s.failed ? 'Failed' : pruned ? 'Pruned' : 'Skipped',
    ...(s.message ? { message: s.message } : {}),
  });

  const failedPlans = plan.filter((p) => p.action === 'Failed');
  if (failedPlans.length || hookFailures.size) {
    const hookResults = [...hookFailures].map(([h, message]): HookResult => ({
      ref: h.desired.ref,
      phase: h.phases[0]!,
      status: 'Failed',
      source: h.desired.source,
      message,
      deletePolicies: h.deletePolicies,
    }));
    return failure(
      `${failedPlans.length + hookFailures.size} object(s) failed the server's dry-run; nothing was applied. ${failedPlans[0]?.message ?? hookResults[0]!.message}`,
      plan.map(toResult),
      'diff',
      hookResults,
    );
  }
  const prunable = stale.filter((s) => s.prune);
  if (desired.length === 0 && prunable.length > 0 && !options.allowEmpty) {
    return failure(
      `the source renders no objects, so this sync would delete all ${prunable.length} objects of the application; refused (set syncPolicy.automated.allowEmpty to allow it)`,
      prunable.map((s) => ({
        ...staleResult(s, false),
        action: 'Failed' as const,
        message: 'prune of every object refused',
      })),
    );
  }

  const willPrune = Boolean(options.prune);
  // Hooks belong to a sync that writes: a no-op reconcile runs none.
  const willWrite =
    plan.some((p) => p.action !== 'Unchanged') || (willPrune && prunable.length > 0);
  if (options.dryRun) {
    const changed = plan.some((p) => p.action !== 'Unchanged') || prunable.length > 0;
    const created = new Set(plan.filter((p) => p.action === 'Created').map((p) => p.desired));
    const report = healthReport(
      watchedOf(desired.filter((d) => !created.has(d))),
      (await healthRead!).objects,
    );
    const objects = [...plan.map(toResult), ...stale.map((s) => staleResult(s, s.prune))];
    for (const o of objects) {
      const h = report.objects.get(objectKey(o.ref));
      if (h) o.health = h;
    }
    return {
      ...base,
      status: changed ? 'OutOfSync' : 'Synced',
      objects,
      counts: countActions(objects),
      hooks: willWrite ? hooksThatWouldRun(hooks) : [],
      health: report.health,
      inventory: previousInventory,
      manifestDigest,
      timings,
    };
  }

  started = Date.now();
  const results: ObjectResult[] = [];
  const inventory = new Map<string, InventoryEntry>();
  const previousByKey = new Map(previous.map((e) => [objectKey(e), e]));
  let status: SyncStatus = 'Synced';
  let error: string | undefined;
  let failedPhase: SyncFailurePhase | undefined;
  const hookResults: HookResult[] = [];
  const hasHooks = (phase: HookPhase): boolean =>
    willWrite && hooks.some((h) => h.phases.includes(phase));
  /** Runs one hook phase; the first failed hook, if any. */
  const runHooks = async (phase: HookPhase): Promise<HookResult | undefined> => {
    const hooksStarted = Date.now();
    const results = await runHookPhase(ctx, hooks, phase, {
      timeoutMs: options.healthTimeoutMs ?? 300_000,
      onProgress: (message) => progress(phase, message),
    });
    hookResults.push(...results);
    timings.hooksMs += Date.now() - hooksStarted;
    return results.find((r) => r.status === 'Failed');
  };

  if (
    options.createNamespace &&
    ctx.namespace &&
    !desired.some((d) => d.object.kind === 'Namespace' && d.ref.name === ctx.namespace)
  ) {
    // The first write of a sync: a run already told to stop makes none.
    ctx.signal?.throwIfAborted();
    try {
      // Created with our manager and label but without the app annotation:
      // it is not in the inventory and is never pruned with the app.
      await applyObject(
        ctx.client,
        NAMESPACE_INFO,
        {
          apiVersion: 'v1',
          kind: 'Namespace',
          metadata: { name: ctx.namespace, labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE } },
        },
        { fieldManager: FIELD_MANAGER, force: false },
      );
    } catch (err) {
      return failure(
        `cannot create namespace ${ctx.namespace}: ${(err as Error).message}`,
        [],
        'apply',
      );
    }
  }

  const preSyncFailure = hasHooks('PreSync')
    ? hookFailed('PreSync', await runHooks('PreSync'))
    : undefined;
  started = Date.now();
  if (preSyncFailure) {
    status = 'Failed';
    failedPhase = 'PreSync';
    error = `${preSyncFailure}; nothing else was applied`;
    for (const e of previous) inventory.set(objectKey(e), e);
    for (const p of plan) {
      results.push(
        p.action === 'Unchanged'
          ? toResult(p)
          : { ...toResult(p), action: 'Failed', message: 'not applied: a PreSync hook failed' },
      );
    }
  } else {
    const changedCount = plan.filter((p) => p.action !== 'Unchanged').length;
    progress(
      'apply',
      `applying ${changedCount} changed object(s), ${plan.length - changedCount} unchanged`,
    );
    if (options.beforeApply && changedCount > 0) {
      const intent = new Map(previous.map((e) => [objectKey(e), e]));
      for (const p of plan) {
        // Without a resourceVersion, so the next sync checks each one for real.
        if (p.action !== 'Unchanged')
          intent.set(p.desired.key, { ...p.desired.ref, digest: p.desired.digest });
      }
      await options.beforeApply({
        revision: previousInventory.revision,
        entries: [...intent.values()],
      });
    }
    const applied = await applyPlan(ctx, plan, {
      timeoutMs: options.applyTimeoutMs ?? 300_000,
      onProgress: (p) =>
        progress('apply', `${p.stage} wave ${p.wave} ${p.kind}: ${p.applied}/${p.total}`, p),
    });
    const appliedByPlan = new Map(applied.map((a) => [a.planned, a]));
    for (const p of plan) {
      const outcome = appliedByPlan.get(p);
      const result = toResult(p);
      if (p.action === 'Unchanged') {
        inventory.set(p.desired.key, entryOf(p.desired, p.liveResourceVersion));
      } else if (outcome?.ok) {
        inventory.set(p.desired.key, entryOf(p.desired, outcome.result?.metadata.resourceVersion));
        // The plan's notes ("checked when applied") are moot once it applied.
        if (!p.recreate) delete result.message;
      } else {
        result.action = 'Failed';
        result.message = outcome?.message ?? 'not applied';
        status = 'Failed';
        failedPhase ??= 'apply';
        error ??= result.message;
        const before = previousByKey.get(p.desired.key);
        // An object that may exist from an earlier sync stays in the inventory,
        // without a resourceVersion so it is re-checked next time.
        if (before) inventory.set(p.desired.key, { ...before, resourceVersion: undefined });
      }
      results.push(result);
    }
  }
  timings.applyMs = Date.now() - started;

  started = Date.now();
  // Decided once: a delete failing part-way must not relabel the deletes that did happen.
  const pruneRan = status !== 'Failed' && willPrune;
  if (pruneRan && prunable.length) {
    progress('prune', `pruning ${prunable.length} object(s) removed from the source`);
    ctx.signal?.throwIfAborted();
    await pruneStale(ctx, stale);
  }
  for (const s of stale) {
    const pruned = s.prune && pruneRan && !s.failed;
    if ((s.prune && !pruned) || s.keep) {
      // Not deleted (prune off, or an earlier failure): keep it so a later sync can still prune it.
      inventory.set(objectKey(s.entry), s.entry);
      results.push({
        ...staleResult(s, false),
        message:
          s.message ??
          `${describeRef(s.entry)} is no longer in the source; ${willPrune ? 'not pruned: the sync failed' : 'prune is off'}`,
      });
      if (status === 'Synced') status = 'OutOfSync';
    } else {
      results.push(staleResult(s, pruned));
    }
    if (s.failed) {
      status = 'Failed';
      failedPhase ??= 'prune';
      error ??= s.message;
    }
  }
  timings.pruneMs = Date.now() - started;

  started = Date.now();
  const watched = watchedOf(desired);
  let report: HealthReport;
  try {
    if ((options.waitForHealth || hasHooks('PostSync')) && status !== 'Failed') {
      progress('health', `waiting for ${watched.length} object(s) to become healthy`);
      report = await waitForHealth(ctx, watched, { timeoutMs: options.healthTimeoutMs ?? 300_000 });
    } else {
      report = await observeHealth(ctx, watched);
    }
  } catch (err) {
    // Objects were written already: the inventory built so far must reach
    // the caller, or a later sync could never prune what this one created.
    report = {
      health: { status: 'Unknown', message: `health could not be read: ${(err as Error).message}` },
      objects: new Map(),
    };
    if (hasHooks('PostSync')) {
      status = 'Failed';
      failedPhase ??= 'health';
      error ??= report.health.message;
    }
  }
  for (const r of results) {
    const h = report.objects.get(objectKey(r.ref));
    if (h) r.health = h;
  }
  timings.healthMs = Date.now() - started;

  if (status !== 'Failed' && hasHooks('PostSync')) {
    const health = report.health;
    if (health.status !== 'Healthy' && health.status !== 'Suspended') {
      status = 'Failed';
      failedPhase = 'health';
      error = `PostSync hooks not run: the application is ${health.status}${health.message ? ` (${health.message})` : ''}`;
    } else {
      const postSyncFailure = hookFailed('PostSync', await runHooks('PostSync'));
      if (postSyncFailure) {
        status = 'Failed';
        failedPhase = 'PostSync';
        error = postSyncFailure;
      }
    }
  }
  if (status === 'Failed' && hasHooks('SyncFail')) {
    const syncFailFailure = hookFailed('SyncFail', await runHooks('SyncFail'));
    // The sync's own failure stays the headline; the hook's is added to it.
    if (syncFailFailure) error = `${error ?? 'the sync failed'}; ${syncFailFailure}`;
  }

  return {
    ...base,
    status,
    ...(error ? { error } : {}),
    ...(failedPhase ? { phase: failedPhase } : {}),
    objects: results,
    counts: countActions(results),
    hooks: hookResults,
    health: report.health,
    inventory: {
      revision: status === 'Failed' ? previousInventory.revision : options.revision,
      entries: [...inventory.values()],
    },
    manifestDigest,
    timings,
  };
}
