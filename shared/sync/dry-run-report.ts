import { objectKey } from '../kube/object.ts';
import type { SyncContext } from './context.ts';
import { HOOK_PHASES, hookWaves, type Hook } from './hooks.ts';
import type { Inventory } from './inventory.ts';
import { staleResultWithContents } from './contents-result.ts';
import { attachHealth, plannedResult } from './object-results.ts';
import { healthReport, observeHealth, watchedOf, type HealthReport } from './observe-health.ts';
import type { DesiredObject } from './prepare.ts';
import type { SyncPlan } from './plan.ts';
import {
  countActions,
  type HookResult,
  type SyncHeader,
  type SyncObjectsResult,
  type SyncStepTimings,
} from './result.ts';

export interface TimedHealth {
  report: HealthReport;
  ms: number;
}

/**
 * Starts a dry run's health read while the plan is still being made: both
 * only read, so neither need wait for the other.
 */
export function startHealthRead(ctx: SyncContext, desired: DesiredObject[]): Promise<TimedHealth> {
  const started = Date.now();
  const read = observeHealth(ctx, watchedOf(desired)).then((report) => ({
    report,
    ms: Date.now() - started,
  }));
  // Awaited by the report; a plan that is refused returns without it.
  read.catch(() => {});
  return read;
}

/** What a sync would do, and the health of the objects that exist already. */
export function dryRunReport(
  header: SyncHeader,
  plan: SyncPlan,
  health: TimedHealth,
  timings: SyncStepTimings,
): SyncObjectsResult {
  // Read before the plan knew which objects do not exist yet.
  const created = new Set(plan.objects.filter((p) => p.action === 'Created').map((p) => p.desired));
  const report = healthReport(
    watchedOf(plan.desired.filter((d) => !created.has(d))),
    health.report.objects,
  );
  const objects = [
    ...plan.objects.map(plannedResult),
    ...plan.stale.map((s) => staleResultWithContents(s, s.prune, false)),
  ];
  attachHealth(objects, report);
  // A held-back object is out of sync as a real sync would report it.
  const changed =
    plan.objects.some((p) => p.action !== 'Unchanged') ||
    plan.stale.some((s) => s.prune || s.heldBack);
  return {
    ...header,
    status: changed ? 'OutOfSync' : 'Synced',
    objects,
    counts: countActions(objects),
    hooks: plan.writes ? hooksThatWouldRun(plan.hooks) : [],
    health: report.health,
    inventory: refreshedInventory(plan),
    manifestDigest: plan.manifestDigest,
    timings: { ...timings, healthMs: health.ms },
  };
}

/**
 * The previous inventory with the resourceVersion each unchanged object has
 * now: a controller's status write moves it without changing what we
 * applied, and until it is recorded every later check must dry-run that
 * object again (and read the whole inventory to learn so).
 */
function refreshedInventory(plan: SyncPlan): Inventory {
  const entries = new Map(plan.previous.entries.map((e) => [objectKey(e), e]));
  for (const p of plan.objects) {
    if (p.action !== 'Unchanged' || p.ignoresFields || !p.liveResourceVersion) continue;
    if (!entries.has(p.desired.key)) continue;
    entries.set(p.desired.key, {
      ...p.desired.ref,
      resourceVersion: p.liveResourceVersion,
      digest: p.desired.digest,
    });
  }
  return { revision: plan.previous.revision, entries: [...entries.values()] };
}

/** In the order a sync would run them. */
function hooksThatWouldRun(hooks: Hook[]): HookResult[] {
  return HOOK_PHASES.flatMap((phase) =>
    hookWaves(hooks, phase)
      .flat()
      .map((h): HookResult => ({
        ref: h.desired.ref,
        phase,
        status: 'WouldRun',
        source: h.desired.source,
        message: phase === 'SyncFail' ? 'runs only if the sync fails' : undefined,
        deletePolicies: h.deletePolicies,
      })),
  );
}
