import { objectKey } from '../kube/object.ts';
import { applyPlan, type AppliedObject } from './apply.ts';
import type { SyncContext } from './context.ts';
import type { PlannedObject } from './diff.ts';
import type { Inventory, InventoryEntry } from './inventory.ts';
import { createNamespace } from './namespace.ts';
import { plannedResult } from './object-results.ts';
import type { SyncObjectsOptions } from './options.ts';
import { markFailed, type SyncOutcome } from './outcome.ts';
import { hooksDue, type SyncPlan } from './plan.ts';
import { runSyncHooks } from './run-hooks.ts';

/**
 * Creates the destination namespace when the sync is to and the source does
 * not define it; why it could not, if so.
 */
export async function ensureNamespace(
  ctx: SyncContext,
  options: SyncObjectsOptions,
  plan: SyncPlan,
): Promise<string | undefined> {
  const name = ctx.namespace;
  if (!options.createNamespace || !name) return undefined;
  if (plan.desired.some((d) => d.object.kind === 'Namespace' && d.ref.name === name))
    return undefined;
  // The first write of a sync: a run already told to stop makes none.
  ctx.signal?.throwIfAborted();
  try {
    await createNamespace(ctx, name);
    return undefined;
  } catch (err) {
    return `cannot create namespace ${name}: ${(err as Error).message}`;
  }
}

/** Runs the PreSync hooks, then applies the changed objects unless one of them failed. */
export async function write(
  ctx: SyncContext,
  options: SyncObjectsOptions,
  plan: SyncPlan,
  outcome: SyncOutcome,
): Promise<void> {
  const preSyncFailure = hooksDue(plan, 'PreSync')
    ? await runSyncHooks(ctx, options, plan.hooks, 'PreSync', outcome)
    : undefined;
  const started = Date.now();
  if (preSyncFailure) holdBack(plan, outcome, preSyncFailure);
  else await applyChanges(ctx, options, plan, outcome);
  outcome.timings.applyMs = Date.now() - started;
}

/** Nothing is applied after a failed PreSync hook, so the previous inventory stands whole. */
function holdBack(plan: SyncPlan, outcome: SyncOutcome, failure: string): void {
  markFailed(outcome, 'PreSync', `${failure}; nothing else was applied`);
  for (const e of plan.previous.entries) outcome.inventory.set(objectKey(e), e);
  for (const p of plan.objects) {
    outcome.objects.push(
      p.action === 'Unchanged'
        ? plannedResult(p)
        : { ...plannedResult(p), action: 'Failed', message: 'not applied: a PreSync hook failed' },
    );
  }
}

async function applyChanges(
  ctx: SyncContext,
  options: SyncObjectsOptions,
  plan: SyncPlan,
  outcome: SyncOutcome,
): Promise<void> {
  const changed = plan.objects.filter((p) => p.action !== 'Unchanged');
  options.onProgress?.({
    phase: 'apply',
    message: `applying ${changed.length} changed object(s), ${plan.objects.length - changed.length} unchanged`,
  });
  if (options.beforeApply && changed.length > 0)
    await options.beforeApply(intentInventory(plan.previous, changed));
  const applied = await applyPlan(ctx, plan.objects, {
    timeoutMs: options.applyTimeoutMs,
    onProgress: (p) =>
      options.onProgress?.({
        phase: 'apply',
        message: `${p.stage} wave ${p.wave} ${p.kind}: ${p.applied}/${p.total}`,
        apply: p,
      }),
  });
  const appliedByPlan = new Map(applied.map((a) => [a.planned, a]));
  const previousByKey = new Map(plan.previous.entries.map((e) => [objectKey(e), e]));
  for (const p of plan.objects) {
    recordApplied(outcome, p, appliedByPlan.get(p), previousByKey.get(p.desired.key));
  }
}

/**
 * The inventory this sync may leave behind: the previous one plus every
 * object about to be written, without a resourceVersion so that the next
 * sync checks each one for real.
 */
function intentInventory(previous: Inventory, changed: PlannedObject[]): Inventory {
  const intent = new Map(previous.entries.map((e) => [objectKey(e), e]));
  for (const p of changed)
    intent.set(p.desired.key, { ...p.desired.ref, digest: p.desired.digest });
  return { revision: previous.revision, entries: [...intent.values()] };
}

function recordApplied(
  outcome: SyncOutcome,
  p: PlannedObject,
  applied: AppliedObject | undefined,
  before: InventoryEntry | undefined,
): void {
  const result = plannedResult(p);
  const entry = (resourceVersion: string | undefined): InventoryEntry => ({
    ...p.desired.ref,
    resourceVersion,
    digest: p.desired.digest,
  });
  if (p.action === 'Unchanged') {
    // Unchanged but for ignored fields: no resourceVersion, so it is compared again next time.
    outcome.inventory.set(
      p.desired.key,
      entry(p.ignoresFields ? undefined : p.liveResourceVersion),
    );
  } else if (applied?.ok) {
    outcome.inventory.set(p.desired.key, entry(applied.result?.metadata.resourceVersion));
    // The plan's notes ("checked when applied") are moot once it applied;
    // fields taken from another manager are not.
    if (!p.recreate && !p.takesOver) delete result.message;
  } else {
    result.action = 'Failed';
    result.message = applied?.message ?? 'not applied';
    markFailed(outcome, 'apply', result.message);
    // An object that may exist from an earlier sync stays in the inventory,
    // without a resourceVersion so it is re-checked next time.
    if (before) outcome.inventory.set(p.desired.key, { ...before, resourceVersion: undefined });
  }
  outcome.objects.push(result);
}
