import type { RenderedObject } from '../render/types.ts';
import type { SyncContext } from './context.ts';
import { dryRunReport, startHealthRead } from './dry-run-report.ts';
import type { SyncObjectsOptions } from './options.ts';
import { outcomeResult, startOutcome } from './outcome.ts';
import { planSync, prepareSync, type Refusal } from './plan.ts';
import { startOrphanCheck } from './orphan-check.ts';
import { prune } from './prune.ts';
import { recallInventory } from './recall-inventory.ts';
import {
  failedResult,
  type SyncHeader,
  type SyncObjectsResult,
  type SyncStepTimings,
} from './result.ts';
import { settle } from './settle.ts';
import { ensureNamespace, write } from './write.ts';

export type { SyncObjectsOptions, SyncProgress } from './options.ts';

/**
 * Makes the cluster match the rendered objects for one application: plan
 * (prepare, split off hooks, dry-run every object), then either report (a
 * dry run) or write (namespace, PreSync hooks, apply in stages), prune and
 * settle (health, PostSync hooks; SyncFail hooks when a step after the first
 * write failed). Any invalid object, failed dry-run or ownership conflict
 * stops the sync before the first write.
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
): Promise<SyncObjectsResult> {
  const header: SyncHeader = {
    app: ctx.app,
    cluster: options.cluster,
    revision: options.revision,
    dryRun: Boolean(options.dryRun),
  };
  const timings: SyncStepTimings = { diffMs: 0, applyMs: 0, pruneMs: 0, healthMs: 0, hooksMs: 0 };
  const started = Date.now();
  let run = options;
  const refused = (refusal: Refusal): SyncObjectsResult =>
    failedResult({
      ...header,
      ...refusal,
      phase: refusal.phase ?? 'diff',
      previous: run.previous,
      timings: { ...timings, diffMs: Date.now() - started },
    });

  options.onProgress?.({
    phase: 'diff',
    message: `comparing ${rendered.length} objects with the cluster`,
  });
  const prepared = await prepareSync(ctx, rendered);
  if ('error' in prepared) return refused(prepared);

  const healthRead = options.dryRun ? startHealthRead(ctx, prepared.desired) : undefined;
  const orphansRead = startOrphanCheck(ctx, prepared);
  const recalled = options.recall
    ? await recallInventory(ctx, prepared.desired, options.recall)
    : undefined;
  if (recalled) run = { ...options, previous: recalled.previous };
  const plan = await planSync(ctx, prepared, run, recalled?.live);
  if ('error' in plan) return refused(plan);
  timings.diffMs = Date.now() - started;
  const withOrphans = async (result: SyncObjectsResult): Promise<SyncObjectsResult> =>
    orphansRead ? { ...result, orphans: await orphansRead } : result;
  if (healthRead) return withOrphans(dryRunReport(header, plan, await healthRead, timings));

  const namespaceError = await ensureNamespace(ctx, run, plan);
  if (namespaceError) {
    return failedResult({
      ...header,
      error: namespaceError,
      phase: 'apply',
      previous: run.previous,
      manifestDigest: plan.manifestDigest,
      timings,
    });
  }
  const outcome = startOutcome(timings);
  await write(ctx, run, plan, outcome);
  await prune(ctx, run, plan, outcome);
  const health = await settle(ctx, run, plan, outcome);
  return withOrphans(outcomeResult(header, plan, outcome, health));
}
