import type { KubeObject } from '../kube/object.ts';
import { canonicalJson } from './digest.ts';
import { FIELD_MANAGER } from './ownership.ts';

/** A path into an object, as JSON pointer segments: keys and array indices. */
export type FieldPath = (string | number)[];

/** One node of a managedFields `fieldsV1` set: `f:name`, `k:{keys}`, `v:value`, `i:index`, `.`. */
type FieldsNode = { [key: string]: FieldsNode };

interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
  subresource?: string;
  fieldsV1?: FieldsNode;
}

function managedFieldsOf(object: KubeObject): ManagedFieldsEntry[] {
  const entries = object.metadata.managedFields;
  return Array.isArray(entries) ? (entries as ManagedFieldsEntry[]) : [];
}

function childKeys(node: FieldsNode): string[] {
  return Object.keys(node).filter((k) => k !== '.');
}

/** The index in `list` of the item a `k:` or `v:` member names, or -1. */
function itemIndex(list: unknown[], kind: string, text: string): number {
  const named = JSON.parse(text) as unknown;
  if (kind === 'v') return list.findIndex((item) => canonicalJson(item) === canonicalJson(named));
  const keys = Object.entries(named as Record<string, unknown>);
  return list.findIndex(
    (item) =>
      item !== null &&
      typeof item === 'object' &&
      keys.every(
        ([k, v]) => canonicalJson((item as Record<string, unknown>)[k]) === canonicalJson(v),
      ),
  );
}

/** Where one member of a fieldsV1 node is in `value`, if it is there. */
function stepInto(value: unknown, member: string): string | number | undefined {
  const kind = member.slice(0, 1);
  const text = member.slice(2);
  if (kind === 'f') {
    const isMap = value !== null && typeof value === 'object' && !Array.isArray(value);
    return isMap && text in value ? text : undefined;
  }
  if (!Array.isArray(value)) return undefined;
  const index = kind === 'i' ? Number(text) : itemIndex(value, kind, text);
  return index >= 0 && index < value.length ? index : undefined;
}

/**
 * The paths in `value` of the fields a fieldsV1 set owns: its leaves, and a
 * list item owned as a whole (`.`) as one path, since its fields go with it.
 */
function ownedPathsIn(node: FieldsNode, value: unknown, prefix: FieldPath, out: FieldPath[]): void {
  for (const member of childKeys(node)) {
    const step = stepInto(value, member);
    if (step === undefined) continue;
    const path = [...prefix, step];
    const child = node[member]!;
    const wholeItem = typeof step === 'number' && '.' in child;
    if (wholeItem || childKeys(child).length === 0) out.push(path);
    else ownedPathsIn(child, (value as Record<string, unknown>)[step], path, out);
  }
}

/** Paths in `object` of the fields that `managers` own in `live` (by its managedFields). */
export function pathsOwnedBy(
  object: KubeObject,
  live: KubeObject,
  managers: string[],
): FieldPath[] {
  const out: FieldPath[] = [];
  for (const entry of managedFieldsOf(live)) {
    if (entry.manager && managers.includes(entry.manager) && entry.fieldsV1)
      ownedPathsIn(entry.fieldsV1, object, [], out);
  }
  return out;
}

/** The leaves of a fieldsV1 set, each as its members joined for display (`.spec.replicas`). */
function leavesOf(node: FieldsNode, prefix = ''): string[] {
  return childKeys(node).flatMap((member) => {
    const kind = member.slice(0, 1);
    const text = member.slice(2);
    const shown =
      kind === 'f'
        ? `${prefix}.${text}`
        : kind === 'k'
          ? `${prefix}[${Object.entries(JSON.parse(text) as Record<string, unknown>)
              .map(([k, v]) => `${k}=${String(v)}`)
              .join(',')}]`
          : `${prefix}[${text}]`;
    const child = node[member]!;
    return childKeys(child).length === 0 ? [shown] : leavesOf(child, shown);
  });
}

/** A field another manager owns in the live object and our apply takes from it. */
export interface TakenField {
  manager: string;
  field: string;
}

function entryKey(e: ManagedFieldsEntry): string {
  return `${e.manager ?? ''}|${e.operation ?? ''}|${e.subresource ?? ''}`;
}

/**
 * The fields a forced apply takes from other managers: owned by them in the
 * live object, no longer theirs in the server's dry-run of our apply. Fields
 * both set to the same value stay shared, so they are not listed.
 */
export function takenFields(live: KubeObject, dryRun: KubeObject): TakenField[] {
  const after = new Map(managedFieldsOf(dryRun).map((e) => [entryKey(e), e]));
  const taken: TakenField[] = [];
  for (const entry of managedFieldsOf(live)) {
    if (!entry.manager || entry.manager === FIELD_MANAGER || !entry.fieldsV1) continue;
    const kept = new Set(leavesOf(after.get(entryKey(entry))?.fieldsV1 ?? {}));
    for (const field of leavesOf(entry.fieldsV1))
      if (!kept.has(field)) taken.push({ manager: entry.manager, field: field.slice(1) });
  }
  return taken;
}

const SHOWN_FIELDS = 5;

/** What a plan says about fields it takes from other managers, if any. */
export function describeTakenFields(taken: TakenField[]): string | undefined {
  if (!taken.length) return undefined;
  const shown = taken
    .slice(0, SHOWN_FIELDS)
    .map((t) => `${t.field} (field manager "${t.manager}")`);
  const more = taken.length > SHOWN_FIELDS ? ` and ${taken.length - SHOWN_FIELDS} more` : '';
  return `applying takes over field(s) another manager owns: ${shown.join(', ')}${more}; to leave them to it, add an ignoreDifferences rule (jsonPointers or managedFieldsManagers)`;
}
