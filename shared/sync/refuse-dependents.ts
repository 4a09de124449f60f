import { describeRef, groupOf, type ObjectRef } from '../kube/object.ts';
import { staleResult } from './object-results.ts';
import type { DesiredObject } from './prepare.ts';
import { isCrd, isNamespace } from './prune-guard.ts';
import type { HookResult, ObjectResult } from './result.ts';
import type { StaleObject } from './stale.ts';
import { describeContents } from './list-contents.ts';

/** A refusal, in the shape of plan.ts's (which this file cannot import: plan.ts imports it). */
interface DependentsRefusal {
  error: string;
  objects: ObjectResult[];
  hooks: HookResult[];
  manifestDigest: string;
}

/**
 * Refuses a sync whose prune would delete objects its own source still has:
 * a CRD whose kind is still rendered, a Namespace still rendered into. The
 * API server would delete them with it and the next sync could not even
 * plan them, so this is known before the first write and nothing is written.
 */
export function refuseDeletingRendered(
  stale: StaleObject[],
  desired: DesiredObject[],
  pruneOn: boolean | undefined,
  manifestDigest: string,
): DependentsRefusal | undefined {
  if (!pruneOn) return undefined;
  const refused: ObjectResult[] = [];
  for (const s of stale) {
    if (!s.prune || !s.live) continue;
    const dependents = renderedDependents(s, desired);
    if (!dependents.length) continue;
    const holds = isNamespace(s.entry) ? 'objects in it' : 'custom resources of it';
    const named = describeContents({
      shown: dependents.slice(0, 5),
      total: dependents.length,
      unchecked: [],
    });
    refused.push({
      ...staleResult(s, false),
      action: 'Failed',
      message: `${describeRef(s.entry)} is no longer in the source, but the source still has ${holds}, which pruning it would delete: ${named}`,
    });
  }
  if (!refused.length) return undefined;
  return {
    error: `${refused.length} object(s) removed from the source would take objects the source still has with them; nothing was applied or deleted (keep them in the source, or remove what they hold as well). ${refused[0]!.message}`,
    objects: refused,
    hooks: [],
    manifestDigest,
  };
}

/** The rendered objects a stale CRD or Namespace would take with it. */
function renderedDependents(s: StaleObject, desired: DesiredObject[]): ObjectRef[] {
  if (isNamespace(s.entry)) {
    return desired.filter((d) => d.ref.namespace === s.entry.name).map((d) => d.ref);
  }
  if (!isCrd(s.entry)) return [];
  const spec = s.live!.spec as { group?: string; names?: { kind?: string } } | undefined;
  return desired
    .filter(
      (d) => groupOf(d.object.apiVersion) === spec?.group && d.object.kind === spec.names?.kind,
    )
    .map((d) => d.ref);
}
