import pointer from 'json-pointer';
import { groupOf, type KubeObject, type ObjectRef } from '../kube/object.ts';
import { pathsOwnedBy, type FieldPath } from './field-owners.ts';
import { deleteWithJq } from './jq.ts';

/**
 * One entry of an application's `spec.ignoreDifferences`, with Argo CD's
 * names and meaning (validated by shared/config/ignore-differences.ts). The
 * fields it selects are left out of the comparison and out of what we apply.
 */
export interface IgnoreRule {
  /** API group; empty for the core group; `*` for any. */
  group: string;
  /** `*` for any. */
  kind: string;
  name?: string;
  namespace?: string;
  jsonPointers: string[];
  jqPathExpressions: string[];
  /** Fields these field managers own in the live object. */
  managedFieldsManagers: string[];
}

function matches(pattern: string, value: string): boolean {
  return pattern === '*' || pattern === value;
}

/** The rules that select the object `ref`. */
export function rulesFor(rules: IgnoreRule[], ref: ObjectRef): IgnoreRule[] {
  return rules.filter(
    (r) =>
      matches(r.group, groupOf(ref.apiVersion)) &&
      matches(r.kind, ref.kind) &&
      (r.name === undefined || r.name === ref.name) &&
      (r.namespace === undefined || r.namespace === ref.namespace),
  );
}

/** Compares paths so that, removed in this order, no removal shifts an array index still to come. */
function laterFirst(a: FieldPath, b: FieldPath): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return y - x;
    return String(y).localeCompare(String(x));
  }
  return b.length - a.length;
}

function removePaths(object: KubeObject, paths: FieldPath[]): void {
  for (const path of [...paths].sort(laterFirst)) {
    const at = pointer.compile(path.map(String));
    if (pointer.has(object, at)) pointer.remove(object, at);
  }
}

/**
 * A copy of `object` without the fields `rules` select. Pointers name fields
 * directly; jq expressions select paths; managedFieldsManagers select what
 * those managers own in `live` (nothing when there is no live object yet).
 * Without rules the object itself is returned.
 */
export function withoutIgnored(
  object: KubeObject,
  rules: IgnoreRule[],
  live: KubeObject | undefined,
): KubeObject {
  if (!rules.length) return object;
  let copy = structuredClone(object);
  const managers = rules.flatMap((r) => r.managedFieldsManagers);
  const paths = [
    ...rules.flatMap((r) => r.jsonPointers.map((p) => pointer.parse(p))),
    ...(live && managers.length ? pathsOwnedBy(copy, live, managers) : []),
  ];
  removePaths(copy, paths);
  for (const expression of rules.flatMap((r) => r.jqPathExpressions))
    copy = deleteWithJq(copy, expression);
  return copy;
}
