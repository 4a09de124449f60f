import { describeContents } from './list-contents.ts';
import { staleResult } from './object-results.ts';
import type { ObjectResult } from './result.ts';
import type { StaleObject } from './stale.ts';

/**
 * A stale object's result, naming what a CRD's or Namespace's deletion took
 * (`done`) or would take with it, so that nobody learns it from the cluster.
 */
export function staleResultWithContents(
  s: StaleObject,
  pruned: boolean,
  done: boolean,
): ObjectResult {
  const result = staleResult(s, pruned);
  if (!s.takes) return result;
  result.takes = { objects: s.takes.shown, total: s.takes.total };
  if (s.heldBack) result.heldBack = true;
  if (pruned && (s.takes.total > 0 || s.takes.unchecked.length > 0)) {
    const note = `${done ? 'deleted' : 'would delete'} with it: ${describeContents(s.takes)}`;
    result.message = result.message ? `${result.message}; ${note}` : note;
  }
  return result;
}
