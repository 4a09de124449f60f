import type { KubeObject } from '../kube/object.ts';

// Fields the server owns or that change without anyone changing the object's
// intent; comparing them would report drift that nobody made.
const SERVER_METADATA = [
  'managedFields',
  'resourceVersion',
  'uid',
  'generation',
  'creationTimestamp',
  'selfLink',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
] as const;

/** A copy of `object` without status and server-owned metadata, for comparison and display. */
export function normalizeForDiff(object: KubeObject): KubeObject {
  const copy = structuredClone(object);
  delete copy.status;
  for (const field of SERVER_METADATA) delete copy.metadata[field];
  if (copy.metadata.annotations && Object.keys(copy.metadata.annotations).length === 0) {
    delete copy.metadata.annotations;
  }
  return copy;
}
