import { DRIFTED_OBJECTS_KEPT, type DriftedObject } from '../state/app-state.ts';
import type { ObjectResult } from '../sync/result.ts';

const REASON_LINES = 3;
const REASON_CHARS = 200;

/**
 * The live lines a sync would replace, from the object's diff (Secret values
 * are masked there already), so a person sees what was changed by hand. A
 * mask's digest is random per run: kept, it would make every check of a
 * drifted Secret record a new reason, and a state write, for no change.
 */
function changedLines(diff: string | undefined): string {
  const removed = (diff ?? '')
    .split('\n')
    .filter((line) => line.startsWith('-') && !line.startsWith('---'))
    .map((line) =>
      line
        .slice(1)
        .trim()
        .replace(/<masked [0-9a-f]+>/g, '<masked>'),
    )
    .filter((line) => line !== '');
  const shown = removed.slice(0, REASON_LINES).join('; ');
  const more = removed.length > REASON_LINES ? ` (+${removed.length - REASON_LINES} more)` : '';
  return `${shown}${more}`.slice(0, REASON_CHARS);
}

function reasonOf(o: ObjectResult): string {
  if (o.action === 'Created') return 'missing from the cluster';
  if (o.action === 'Pruned') return 'in the cluster but not in the revision';
  const lines = changedLines(o.diff);
  return lines ? `changed in the cluster: ${lines}` : (o.message ?? 'changed in the cluster');
}

function keyOf(o: DriftedObject): string {
  return `${o.kind}/${o.namespace ?? ''}/${o.name}/${o.apiVersion}`;
}

/**
 * The objects a dry run at the synced revision would change: the drift.
 * Skipped objects (stale, left by the prune policy) are not drift: a sync
 * would leave them as well. Sorted, so an unchanged drift compares equal.
 */
export function driftedObjects(objects: ObjectResult[]): DriftedObject[] {
  const drifted: DriftedObject[] = [];
  for (const o of objects) {
    if (o.action !== 'Created' && o.action !== 'Configured' && o.action !== 'Pruned') continue;
    drifted.push({ ...o.ref, action: o.action, reason: reasonOf(o) });
  }
  return drifted.sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
}

/** The drifted objects as kept on the head item: a bounded list and, when cut, the count. */
export function keptDrift(drifted: DriftedObject[]): {
  drifted: DriftedObject[];
  driftedCount?: number;
} {
  if (drifted.length <= DRIFTED_OBJECTS_KEPT) return { drifted };
  return { drifted: drifted.slice(0, DRIFTED_OBJECTS_KEPT), driftedCount: drifted.length };
}
