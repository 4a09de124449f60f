import { describeRef, groupOf, type KubeObject, type ObjectRef } from '../kube/object.ts';
import { describeContents, type Contents, type ContentsLister } from './list-contents.ts';

/**
 * Annotation on a CRD or Namespace manifest that lets prune delete it with
 * everything it holds, objects outside the application included. Read from
 * the live object, which carries what the last sync applied.
 */
export const PRUNE_CASCADE_ANNOTATION = 'driftless.dev/prune-cascade';

/** What pruning one object would take with it, and whether prune may. */
export interface GuardDecision {
  /** Objects outside the application its deletion takes with it; undefined for other kinds. */
  takes?: Contents;
  /** Set when it must stay: why, for a person. */
  heldBack?: string;
}

export function isCrd(ref: ObjectRef): boolean {
  return (
    ref.kind === 'CustomResourceDefinition' && groupOf(ref.apiVersion) === 'apiextensions.k8s.io'
  );
}

export function isNamespace(ref: ObjectRef): boolean {
  return ref.kind === 'Namespace' && ref.apiVersion === 'v1';
}

/**
 * Deleting a CRD deletes all its custom resources, and deleting a Namespace
 * everything in it, whoever made them: either is held back while it holds
 * objects outside the application, unless its manifest opted in to cascade.
 * Not being able to tell (a list refused, too many to read) holds it back too.
 */
export async function guardPrune(
  lister: ContentsLister,
  ref: ObjectRef,
  live: KubeObject,
): Promise<GuardDecision> {
  let takes: Contents;
  if (isCrd(ref)) takes = await lister.ofCrd(live);
  else if (isNamespace(ref)) takes = await lister.ofNamespace(ref.name);
  else return {};
  const cascade = live.metadata.annotations?.[PRUNE_CASCADE_ANNOTATION] === 'true';
  if (cascade || (takes.total === 0 && takes.unchecked.length === 0)) return { takes };
  const holds = ref.kind === 'Namespace' ? 'objects' : 'custom resources';
  return {
    takes,
    heldBack: `${describeRef(ref)} is no longer in the source, but held back: it still holds ${holds} outside this application, which deleting it would delete: ${describeContents(takes)}; it stays until they are gone or its manifest sets ${PRUNE_CASCADE_ANNOTATION}: "true"`,
  };
}
