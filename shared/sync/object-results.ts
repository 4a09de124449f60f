import { objectKey } from '../kube/object.ts';
import type { PlannedObject } from './diff.ts';
import type { HealthReport } from './observe-health.ts';
import type { ObjectResult } from './result.ts';
import type { StaleObject } from './stale.ts';

/** A planned object's result as planned; the write phase amends it once it knows better. */
export function plannedResult(p: PlannedObject): ObjectResult {
  return {
    ref: p.desired.ref,
    action: p.action,
    source: p.desired.source,
    diff: p.diff,
    message: p.message,
    // Absent rather than false, so a result only mentions what happened.
    recreated: p.recreate || undefined,
  };
}

/** A stale object's result; `pruned` when it was (or, in a dry run, would be) deleted. */
export function staleResult(s: StaleObject, pruned: boolean): ObjectResult {
  // The entry's resourceVersion and digest are the inventory's business.
  const { apiVersion, kind, namespace, name } = s.entry;
  return {
    ref: { apiVersion, kind, namespace, name },
    action: pruned ? 'Pruned' : 'Skipped',
    message: s.message,
  };
}

export function attachHealth(objects: ObjectResult[], report: HealthReport): void {
  for (const o of objects) {
    const health = report.objects.get(objectKey(o.ref));
    if (health) o.health = health;
  }
}
