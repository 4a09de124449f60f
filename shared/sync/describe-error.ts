import { KubeApiError } from '../kube/errors.ts';
import { describeRef } from '../kube/object.ts';
import { locationOf } from '../render/errors.ts';
import type { DesiredObject } from './prepare.ts';

/** Names the object and where its manifest came from, so a person can find what to fix. */
export function describeError(d: DesiredObject, err: unknown): string {
  const where = locationOf(d.source);
  if (err instanceof KubeApiError) {
    const denied = err.forbidden ? 'permission denied: ' : '';
    return `${describeRef(d.ref)} (${where}): ${denied}${err.message}`;
  }
  return `${describeRef(d.ref)} (${where}): ${err instanceof Error ? err.message : String(err)}`;
}
