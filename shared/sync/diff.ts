import { mapLimit } from '../util/map-limit.ts';
import { KubeApiError } from '../kube/errors.ts';
import { describeRef, objectKey, type KubeObject } from '../kube/object.ts';
import { applyObject, getObject } from '../kube/operations.ts';
import type { SyncContext } from './context.ts';
import { describeError } from './describe-error.ts';
import { canonicalJson } from './digest.ts';
import type { InventoryEntry } from './inventory.ts';
import { liveVersions } from './live-versions.ts';
import type { SecretMasker } from './mask-secrets.ts';
import { namespaceExists } from './namespace.ts';
import { normalizeForDiff } from './normalize.ts';
import { adoptsExisting, FIELD_MANAGER, FORCE_ANNOTATION, writeRefusal } from './ownership.ts';
import { describeTakenFields, takenFields } from './field-owners.ts';
import { rulesFor, withoutIgnored, type IgnoreRule } from './ignore-differences.ts';
import type { DesiredObject } from './prepare.ts';
import { readLiveInBulk } from './read-live.ts';
import { unifiedDiff } from './unified-diff.ts';

/** The decision for one desired object, before anything is written. */
export interface PlannedObject {
  desired: DesiredObject;
  action: 'Created' | 'Configured' | 'Unchanged' | 'Failed';
  /** Delete and create again: an immutable field changed and the object allows it. */
  recreate: boolean;
  live?: KubeObject;
  /** resourceVersion of the live object when it was found unchanged. */
  liveResourceVersion?: string;
  /**
   * Found unchanged only once the fields its ignoreDifferences rules name
   * were left out: its resourceVersion then says nothing about those fields
   * (were the rules removed, a sync must still compare them).
   */
  ignoresFields?: boolean;
  diff?: string;
  message?: string;
  /** The message names fields this apply takes from another manager: it stays after the apply. */
  takesOver?: boolean;
  /**
   * For an object whose kind was not served yet (its CRD comes in this
   * sync), so whose live object is read only when applied: whether one found
   * then without our marks may be adopted.
   */
  mayAdopt?: boolean;
}

/**
 * Objects proven unchanged without a dry-run: we applied exactly this
 * manifest (same digest) and nobody has written the object since (same
 * resourceVersion). Any write by anyone, even a status update, changes the
 * resourceVersion, so this never hides drift; it only sends the object to a
 * dry-run, which then decides. `known` are live versions read already.
 */
async function provenUnchanged(
  ctx: SyncContext,
  desired: DesiredObject[],
  previous: InventoryEntry[],
  known: Map<string, string> | undefined,
): Promise<Map<string, string>> {
  const remembered = new Map(previous.map((e) => [objectKey(e), e]));
  const candidates = desired.filter((d) => {
    const entry = remembered.get(d.key);
    return d.info && entry?.digest === d.digest && entry.resourceVersion;
  });
  const live = known ?? (await liveVersions(ctx, candidates));
  const unchanged = new Map<string, string>();
  for (const d of candidates) {
    const rv = remembered.get(d.key)?.resourceVersion;
    if (rv && live.get(d.key) === rv) unchanged.set(d.key, rv);
  }
  return unchanged;
}

function failed(desired: DesiredObject, message: string, live?: KubeObject): PlannedObject {
  return { desired, action: 'Failed', recreate: false, live, message };
}

/**
 * Works out, per object, what a sync would do: server-side apply dry-runs
 * (run concurrently) give the object as the server would store it, which is
 * compared with the live object. Nothing is written.
 */
export async function planObjects(
  ctx: SyncContext,
  desired: DesiredObject[],
  previous: InventoryEntry[],
  options: PlanOptions,
): Promise<PlannedObject[]> {
  const unchanged = await provenUnchanged(ctx, desired, previous, options.liveVersions);
  const prefetched = await readLiveInBulk(
    ctx,
    desired.filter((d) => !unchanged.has(d.key)),
  );
  const inventory = new Set(previous.map((e) => objectKey(e)));
  return mapLimit(desired, ctx.concurrency, (d) =>
    planObject(ctx, d, { ...options, unchanged, prefetched, inventory }),
  );
}

export interface PlanOptions {
  masker: SecretMasker;
  namespacesCreatedBySync: Set<string>;
  /** The application's spec.ignoreDifferences. */
  ignoreDifferences: IgnoreRule[];
  /** The application's AdoptExisting sync option (an object's annotation overrides it). */
  adoptExisting: boolean;
  /** Live resourceVersions of the desired objects, when the caller listed them already. */
  liveVersions?: Map<string, string>;
}

/** What planning one object knows already from the bulk reads. */
interface Known extends PlanOptions {
  /** resourceVersions of the objects proven unchanged, by key. */
  unchanged: Map<string, string>;
  prefetched: Map<string, KubeObject | undefined>;
  /** Keys of the previous inventory: objects this application applied before. */
  inventory: Set<string>;
}

/**
 * Whether a live object of `d`'s name without our marks may be written: it
 * is ours when we applied it before (someone removed the marks), otherwise
 * only when adoption is asked for.
 */
function mayAdopt(d: DesiredObject, known: Known): boolean {
  return known.inventory.has(d.key) || adoptsExisting(d.object, known.adoptExisting);
}

async function planObject(
  ctx: SyncContext,
  d: DesiredObject,
  known: Known,
): Promise<PlannedObject> {
  const rv = known.unchanged.get(d.key);
  if (rv) return { desired: d, action: 'Unchanged', recreate: false, liveResourceVersion: rv };
  if (!d.info) {
    return {
      desired: d,
      action: 'Created',
      recreate: false,
      diff: unifiedDiff(d.ref.name, undefined, d.object, known.masker),
      message:
        'its CustomResourceDefinition is created in this sync; checked by the server when applied',
      mayAdopt: mayAdopt(d, known),
    };
  }
  let live: KubeObject | undefined;
  try {
    live = known.prefetched.has(d.key)
      ? known.prefetched.get(d.key)
      : await getObject(ctx.client, d.info, d.ref.namespace, d.ref.name);
  } catch (err) {
    return failed(d, describeError(d, err));
  }
  const refusal = writeRefusal(live, ctx.app, mayAdopt(d, known));
  if (refusal) return failed(d, `${describeRef(d.ref)} ${refusal}`, live);
  const namespace = d.ref.namespace;
  if (
    !live &&
    namespace &&
    known.namespacesCreatedBySync.has(namespace) &&
    !(await namespaceExists(ctx, namespace))
  ) {
    const invalid = await validateElsewhere(ctx, d);
    if (invalid) return failed(d, invalid);
    return {
      desired: d,
      action: 'Created',
      recreate: false,
      diff: unifiedDiff(diffName(d), undefined, d.object, known.masker),
      message: `namespace ${namespace} is created in this sync`,
    };
  }
  return compareDryRun(ctx, withoutIgnoredFields(d, live, known), live, known.masker);
}

/**
 * The object as we apply it: without the fields its ignoreDifferences rules
 * select, so server-side apply leaves them to whoever owns them (Argo CD's
 * RespectIgnoreDifferences=true). An object being created is sent whole, as
 * Argo does: nobody else owns any of its fields yet.
 */
function withoutIgnoredFields(
  d: DesiredObject,
  live: KubeObject | undefined,
  known: Known,
): Subject {
  const rules = rulesFor(known.ignoreDifferences, d.ref);
  if (!live || !rules.length) return { desired: d, rules };
  return { desired: { ...d, object: withoutIgnored(d.object, rules, live) }, rules };
}

/** An object to compare, with the rules that leave some of its fields out. */
interface Subject {
  desired: DesiredObject;
  rules: IgnoreRule[];
}

/** The comparable form of an object: no server-owned fields, no ignored ones. */
function comparable(object: KubeObject, s: Subject, live: KubeObject): KubeObject {
  return normalizeForDiff(withoutIgnored(object, s.rules, live));
}

/** `namespace/kind/name`, as a diff names its two sides. */
function diffName(d: DesiredObject): string {
  return `${d.ref.namespace ? `${d.ref.namespace}/` : ''}${d.ref.kind.toLowerCase()}/${d.ref.name}`;
}

/**
 * Compares the server's dry-run of the object with the live object. Fields
 * the apply would take from another manager are named in the message: a
 * field written by someone else (an HPA's replicas) is otherwise re-applied
 * by every sync without a word.
 */
async function compareDryRun(
  ctx: SyncContext,
  subject: Subject,
  live: KubeObject | undefined,
  masker: SecretMasker,
): Promise<PlannedObject> {
  const d = subject.desired;
  let dryRun: KubeObject;
  try {
    dryRun = await applyObject(ctx.client, d.info!, d.object, {
      fieldManager: FIELD_MANAGER,
      dryRun: true,
      force: true,
    });
  } catch (err) {
    return dryRunFailed(d, live, err, masker);
  }
  if (!live) {
    return {
      desired: d,
      action: 'Created',
      recreate: false,
      diff: unifiedDiff(diffName(d), undefined, dryRun, masker),
    };
  }
  const before = comparable(live, subject, live);
  const after = comparable(dryRun, subject, live);
  if (canonicalJson(after) === canonicalJson(before)) {
    return {
      desired: d,
      action: 'Unchanged',
      recreate: false,
      live,
      liveResourceVersion: live.metadata.resourceVersion,
      ...(subject.rules.length > 0 ? { ignoresFields: true } : {}),
    };
  }
  const message = describeTakenFields(takenFields(live, dryRun));
  return {
    desired: d,
    action: 'Configured',
    recreate: false,
    live,
    diff: unifiedDiff(diffName(d), before, after, masker),
    ...(message && { message, takesOver: true }),
  };
}

/** An immutable field blocks the apply unless the object lets us delete and recreate it. */
function dryRunFailed(
  d: DesiredObject,
  live: KubeObject | undefined,
  err: unknown,
  masker: SecretMasker,
): PlannedObject {
  if (!(err instanceof KubeApiError && err.immutableField && live))
    return failed(d, describeError(d, err), live);
  if (!d.force) {
    return failed(
      d,
      `${describeRef(d.ref)}: ${err.message}. To let Driftless delete and recreate it, annotate it ${FORCE_ANNOTATION}: "true"`,
      live,
    );
  }
  return {
    desired: d,
    action: 'Configured',
    recreate: true,
    live,
    diff: unifiedDiff(diffName(d), live, d.object, masker),
    message: `immutable field changed (${err.message}); will delete and recreate (annotation ${FORCE_ANNOTATION})`,
  };
}

/**
 * A namespaced object cannot be dry-run in a namespace that does not exist
 * yet. Its schema and field validation do not depend on the namespace, so it
 * is dry-run in `default` instead: a bad field still stops the sync before
 * the first write. Only validation errors count; anything else about the
 * stand-in namespace (permissions, an object of the same name) is not ours
 * to judge.
 */
async function validateElsewhere(ctx: SyncContext, d: DesiredObject): Promise<string | undefined> {
  const probe = structuredClone(d.object);
  probe.metadata.namespace = 'default';
  try {
    await applyObject(ctx.client, d.info!, probe, {
      fieldManager: FIELD_MANAGER,
      dryRun: true,
      force: true,
    });
    return undefined;
  } catch (err) {
    return err instanceof KubeApiError && err.invalidObject ? describeError(d, err) : undefined;
  }
}
