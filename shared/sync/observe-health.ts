import { setTimeout as sleep } from 'node:timers/promises';
import { mapLimit } from '../util/map-limit.ts';
import type { ResourceInfo } from '../kube/discovery.ts';
import { resourcePath } from '../kube/discovery.ts';
import { describeRef, objectKey, type KubeObject, type ObjectRef } from '../kube/object.ts';
import { aggregateHealth } from '../health/aggregate.ts';
import { assessHealth, needsLiveHealth } from '../health/assess.ts';
import type { Health } from '../health/status.ts';
import type { SyncContext } from './context.ts';
import { APP_LABEL } from './ownership.ts';
import type { DesiredObject } from './prepare.ts';

export interface Watched {
  ref: ObjectRef;
  info: ResourceInfo;
}

export interface HealthReport {
  health: Health;
  objects: Map<string, Health>;
}

/** The objects whose health can be read: a kind whose CRD is still to come has no resource to list. */
export function watchedOf(desired: DesiredObject[]): Watched[] {
  return desired.filter((d) => d.info).map((d) => ({ ref: d.ref, info: d.info! }));
}

/**
 * Reads the live state of the application's objects whose kinds have a
 * health check, one list request per kind and namespace (filtered by our app
 * label), and assesses each.
 */
export async function observeHealth(ctx: SyncContext, watched: Watched[]): Promise<HealthReport> {
  const groups = new Map<string, Watched[]>();
  const objects = new Map<string, Health>();
  for (const w of watched) {
    if (!needsLiveHealth(w.ref.apiVersion, w.ref.kind)) {
      objects.set(objectKey(w.ref), { status: 'Healthy' });
      continue;
    }
    const key = `${w.ref.apiVersion}|${w.ref.kind}|${w.ref.namespace ?? ''}`;
    groups.set(key, [...(groups.get(key) ?? []), w]);
  }
  await mapLimit([...groups.values()], ctx.concurrency, async (group) => {
    const first = group[0] as Watched;
    const list = await ctx.client.request<{ items?: KubeObject[] }>({
      method: 'GET',
      path: resourcePath(first.info, first.ref.namespace),
      query: { labelSelector: `${APP_LABEL}=${ctx.app}` },
    });
    const byName = new Map((list.items ?? []).map((o) => [o.metadata.name ?? '', o]));
    for (const w of group) {
      const live = byName.get(w.ref.name);
      // List items carry no apiVersion or kind of their own.
      objects.set(
        objectKey(w.ref),
        live
          ? assessHealth({ ...live, apiVersion: w.ref.apiVersion, kind: w.ref.kind })
          : { status: 'Missing', message: 'not found in the cluster' },
      );
    }
  });
  return healthReport(watched, objects);
}

/** The report for `watched`, from the health of these objects (and possibly more). */
export function healthReport(watched: Watched[], assessed: Map<string, Health>): HealthReport {
  const objects = new Map<string, Health>();
  for (const w of watched) objects.set(objectKey(w.ref), assessed.get(objectKey(w.ref))!);
  const health = aggregateHealth(
    watched.map((w) => ({ name: describeRef(w.ref), health: objects.get(objectKey(w.ref))! })),
  );
  return { health, objects };
}

/**
 * Polls until every object is Healthy (or Suspended), stopping early when one
 * turns Degraded, or when the timeout passes (the last report is returned,
 * still Progressing).
 */
export async function waitForHealth(
  ctx: SyncContext,
  watched: Watched[],
  options: { timeoutMs: number; pollMs?: number },
): Promise<HealthReport> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const report = await observeHealth(ctx, watched);
    const status = report.health.status;
    // A stopped run (lost lease, Lambda deadline near) reports health as it is now.
    if (
      status === 'Healthy' ||
      status === 'Suspended' ||
      status === 'Degraded' ||
      Date.now() >= deadline ||
      ctx.signal?.aborted
    )
      return report;
    await sleep(Math.min(options.pollMs ?? 500, Math.max(0, deadline - Date.now())));
  }
}
