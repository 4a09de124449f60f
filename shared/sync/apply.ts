import { setTimeout as sleep } from 'node:timers/promises';
import { mapLimit } from '../util/map-limit.ts';
import { describeRef, type KubeObject } from '../kube/object.ts';
import { applyObject, deleteObject, getObject } from '../kube/operations.ts';
import type { SyncContext } from './context.ts';
import { describeError } from './describe-error.ts';
import { servedKind } from './served-kind.ts';
import type { PlannedObject } from './diff.ts';
import { orderBatches, type Stage } from './order.ts';
import { FIELD_MANAGER, writeRefusal } from './ownership.ts';

export interface AppliedObject {
  planned: PlannedObject;
  ok: boolean;
  /** The object as the server stored it. */
  result?: KubeObject;
  message?: string;
}

export interface ApplyProgress {
  stage: Stage;
  wave: number;
  kind: string;
  applied: number;
  total: number;
}

export interface ApplyOptions {
  timeoutMs: number;
  onProgress?: (progress: ApplyProgress) => void;
}

const CRD_INFO = {
  group: 'apiextensions.k8s.io',
  version: 'v1',
  kind: 'CustomResourceDefinition',
  resource: 'customresourcedefinitions',
  namespaced: false,
};

async function waitForDeletion(
  ctx: SyncContext,
  planned: PlannedObject,
  deadline: number,
): Promise<void> {
  const { info, ref } = planned.desired;
  while (await getObject(ctx.client, info!, ref.namespace, ref.name)) {
    if (Date.now() > deadline)
      throw new Error(`${describeRef(ref)} was not deleted in time for recreation`);
    await sleep(200);
  }
}

async function waitForCrdsEstablished(
  ctx: SyncContext,
  names: string[],
  deadline: number,
): Promise<void> {
  for (const name of names) {
    for (;;) {
      const crd = await getObject(ctx.client, CRD_INFO, undefined, name);
      const conditions = (
        crd?.status as { conditions?: { type: string; status: string }[] } | undefined
      )?.conditions;
      if (conditions?.some((c) => c.type === 'Established' && c.status === 'True')) break;
      if (Date.now() > deadline)
        throw new Error(`CustomResourceDefinition ${name} did not become Established in time`);
      await sleep(100);
    }
  }
}

/**
 * Applies the changed objects with server-side apply, batch by batch in
 * stage, wave and kind order. Objects in one batch are applied concurrently.
 * After the first failure nothing further is sent, in its batch or later
 * ones (later batches may depend on it), and nothing once the run is told to
 * stop or the apply timeout passes; the objects not sent say why.
 */
export async function applyPlan(
  ctx: SyncContext,
  plan: PlannedObject[],
  options: ApplyOptions,
): Promise<AppliedObject[]> {
  const changed = plan.filter((p) => p.action === 'Created' || p.action === 'Configured');
  const batches = orderBatches(
    changed,
    (p) => p.desired.object,
    (p) => p.desired.wave,
  );
  const bound = applyBound(ctx, options.timeoutMs);
  const results: AppliedObject[] = [];
  let applied = 0;
  let stopped: string | undefined;
  // Objects planned before their kind was served need discovery read again
  // (Discovery remembers a missing kind until then), even if their CRD is unchanged.
  let crdsReady = !changed.some((p) => !p.desired.info);

  for (const batch of batches) {
    stopped ??= bound.stopReason();
    if (!stopped && batch.stage !== 'definitions' && !crdsReady) {
      stopped = await awaitNewKinds(ctx, results, bound.deadline);
      crdsReady = true;
    }
    if (stopped) {
      for (const planned of batch.items)
        results.push({ planned, ok: false, message: `not applied: ${stopped}` });
      continue;
    }
    const outcomes = await applyBatch(ctx, batch.items, bound);
    results.push(...outcomes);
    applied += outcomes.filter((o) => o.ok).length;
    options.onProgress?.({
      stage: batch.stage,
      wave: batch.wave,
      kind: batch.kind,
      applied,
      total: changed.length,
    });
    const failure = outcomes.find((o) => !o.ok);
    if (failure) stopped = `an earlier object failed: ${failure.message}`;
    if (batch.stage === 'definitions' && outcomes.some((o) => o.ok && isCrd(o.planned))) {
      crdsReady = false;
    }
  }
  // Hooks after the apply (PostSync, SyncFail) may be of a kind a CRD just applied serves;
  // if it cannot be read, the hook says its kind is not served.
  if (!stopped && !crdsReady) await awaitNewKinds(ctx, results, bound.deadline);
  return results;
}

/** Until when the apply phase may send, and why it may send no more. */
interface ApplyBound {
  deadline: number;
  stopReason(): string | undefined;
}

/**
 * The apply phase ends at its own timeout or the run's deadline, whichever
 * comes first; a run told to stop (a LeaseLostError, the reconciler's
 * deadline, the run's deadline) sends nothing more at once.
 */
function applyBound(ctx: SyncContext, timeoutMs: number): ApplyBound {
  const own = Date.now() + timeoutMs;
  const deadline = Math.min(own, ctx.deadline ?? Infinity);
  return {
    deadline,
    stopReason: () => {
      if (ctx.signal?.aborted) {
        const reason = ctx.signal.reason as Error | undefined;
        return `the sync was stopped: ${reason?.message ?? String(ctx.signal.reason)}`;
      }
      if (Date.now() < deadline) return undefined;
      return deadline === own
        ? `the apply timeout (${Math.round(timeoutMs / 1000)} s) passed`
        : "the sync was stopped: the run's deadline passed";
    },
  };
}

/**
 * One batch, `ctx.concurrency` at a time, dispatched one by one: after the
 * first failure (one the client did not retry away) or once the run must
 * stop, the objects not yet sent are not sent at all.
 */
async function applyBatch(
  ctx: SyncContext,
  items: PlannedObject[],
  bound: ApplyBound,
): Promise<AppliedObject[]> {
  let failed: string | undefined;
  return mapLimit(
    items,
    ctx.concurrency,
    async (planned) => {
      const outcome = await applyOne(ctx, planned, bound.deadline);
      if (!outcome.ok) failed ??= outcome.message;
      return outcome;
    },
    {
      stop: () => failed !== undefined || bound.stopReason() !== undefined,
      skipped: (planned) => {
        const reason = bound.stopReason() ?? `an earlier object failed: ${failed}`;
        return { planned, ok: false, message: `not applied: ${reason}` };
      },
    },
  );
}

function isCrd(planned: PlannedObject): boolean {
  return planned.desired.object.kind === 'CustomResourceDefinition';
}

/**
 * Waits for the CRDs applied so far to be Established, then reads discovery
 * again so that their kinds resolve; why it could not, if so.
 */
async function awaitNewKinds(
  ctx: SyncContext,
  results: AppliedObject[],
  deadline: number,
): Promise<string | undefined> {
  const names = results
    .filter((r) => r.ok && isCrd(r.planned))
    .map((r) => r.planned.desired.ref.name);
  try {
    await waitForCrdsEstablished(ctx, names, deadline);
    await ctx.discovery.refresh();
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

async function applyOne(
  ctx: SyncContext,
  planned: PlannedObject,
  deadline: number,
): Promise<AppliedObject> {
  const d = planned.desired;
  try {
    const unplanned = !d.info;
    d.info ??= await servedKind(
      ctx,
      { apiVersion: d.object.apiVersion, kind: d.object.kind, namespace: d.ref.namespace },
      deadline,
    );
    if (!d.info)
      throw new Error(
        `kind ${d.object.kind} in ${d.object.apiVersion} is still not served after its CRD was created`,
      );
    // Its kind was not served when the sync was planned (a CRD version
    // added in this sync), so ownership is checked now: the object may
    // exist already under another version, made by another application or
    // by no Driftless application (adopted only if the plan allows it).
    if (unplanned) {
      const live = await getObject(ctx.client, d.info, d.ref.namespace, d.ref.name);
      const refusal = writeRefusal(live, ctx.app, planned.mayAdopt ?? false);
      if (refusal) throw new Error(refusal);
    }
    if (planned.recreate) {
      await deleteObject(ctx.client, d.info, d.ref.namespace, d.ref.name, {
        propagationPolicy: 'Foreground',
        uid: planned.live?.metadata.uid,
      });
      await waitForDeletion(ctx, planned, deadline);
    }
    const result = await applyObject(ctx.client, d.info, d.object, {
      fieldManager: FIELD_MANAGER,
      force: true,
    });
    return { planned, ok: true, result };
  } catch (err) {
    return { planned, ok: false, message: describeError(d, err) };
  }
}
