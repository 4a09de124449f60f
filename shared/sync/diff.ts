import { createTwoFilesPatch } from 'diff';
import { stringify } from 'yaml';
import { mapLimit } from '../util/map-limit.ts';
import { KubeApiError } from '../kube/errors.ts';
import { describeRef, objectKey, type KubeObject } from '../kube/object.ts';
import { applyObject, getObject, listMetadata } from '../kube/operations.ts';
import type { SyncContext } from './context.ts';
import { canonicalJson } from './digest.ts';
import type { InventoryEntry } from './inventory.ts';
import type { SecretMasker } from './mask-secrets.ts';
import { normalizeForDiff } from './normalize.ts';
import { APP_LABEL, FIELD_MANAGER, FORCE_ANNOTATION, ownerOf } from './ownership.ts';
import type { DesiredObject } from './prepare.ts';
import { readLiveInBulk } from './read-live.ts';

/** The decision for one desired object, before anything is written. */
export interface PlannedObject {
  desired: DesiredObject;
  action: 'Created' | 'Configured' | 'Unchanged' | 'Failed';
  /** Delete and create again: an immutable field changed and the object allows it. */
  recreate: boolean;
  live?: KubeObject;
  /** resourceVersion of the live object when it was found unchanged. */
  liveResourceVersion?: string;
  diff?: string;
  message?: string;
}

export function yamlOf(object: KubeObject | undefined): string {
  return object ? stringify(object, { sortMapEntries: true }) : '';
}

export function unifiedDiff(
  name: string,
  before: KubeObject | undefined,
  after: KubeObject | undefined,
  masker: SecretMasker,
): string {
  const a = masker.apply(before && normalizeForDiff(before));
  const b = masker.apply(after && normalizeForDiff(after));
  return createTwoFilesPatch(`live/${name}`, `desired/${name}`, yamlOf(a), yamlOf(b), '', '', {
    context: 3,
  });
}

/**
 * Objects proven unchanged without a dry-run: we applied exactly this
 * manifest (same digest) and nobody has written the object since (same
 * resourceVersion). Any write by anyone, even a status update, changes the
 * resourceVersion, so this never hides drift; it only sends the object to a
 * dry-run, which then decides.
 */
async function provenUnchanged(
  ctx: SyncContext,
  desired: DesiredObject[],
  previous: InventoryEntry[],
): Promise<Map<string, string>> {
  const remembered = new Map(previous.map((e) => [objectKey(e), e]));
  const candidates = desired.filter((d) => {
    const entry = remembered.get(d.key);
    return d.info && entry?.digest === d.digest && entry.resourceVersion;
  });
  const groups = new Map<string, DesiredObject[]>();
  for (const d of candidates) {
    const key = `${d.object.apiVersion}|${d.object.kind}|${d.object.metadata.namespace ?? ''}`;
    groups.set(key, [...(groups.get(key) ?? []), d]);
  }
  const unchanged = new Map<string, string>();
  await mapLimit([...groups.values()], ctx.concurrency, async (group) => {
    const first = group[0] as DesiredObject;
    const metas = await listMetadata(
      ctx.client,
      first.info!,
      first.object.metadata.namespace,
      `${APP_LABEL}=${ctx.app}`,
    );
    const liveVersions = new Map(metas.map((m) => [m.name ?? '', m.resourceVersion]));
    for (const d of group) {
      const rv = remembered.get(d.key)?.resourceVersion;
      if (rv && liveVersions.get(d.ref.name) === rv) unchanged.set(d.key, rv);
    }
  });
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
  options: { masker: SecretMasker; namespacesCreatedBySync: Set<string> },
): Promise<PlannedObject[]> {
  const unchanged = await provenUnchanged(ctx, desired, previous);
  const prefetched = await readLiveInBulk(
    ctx,
    desired.filter((d) => !unchanged.has(d.key)),
  );
  return mapLimit(desired, ctx.concurrency, async (d): Promise<PlannedObject> => {
    const rv = unchanged.get(d.key);
    if (rv) return { desired: d, action: 'Unchanged', recreate: false, liveResourceVersion: rv };
    if (!d.info) {
      return {
        desired: d,
        action: 'Created',
        recreate: false,
        diff: unifiedDiff(d.ref.name, undefined, d.object, options.masker),
        message:
          'its CustomResourceDefinition is created in this sync; checked by the server when applied',
      };
    }
    const name = `${d.ref.namespace ? `${d.ref.namespace}/` : ''}${d.ref.kind.toLowerCase()}/${d.ref.name}`;
    let live: KubeObject | undefined;
    try {
      live = prefetched.has(d.key)
        ? prefetched.get(d.key)
        : await getObject(ctx.client, d.info, d.ref.namespace, d.ref.name);
    } catch (err) {
      return failed(d, describeError(d, err));
    }
    const owner = live && ownerOf(live);
    if (owner && owner !== ctx.app) {
      return failed(
        d,
        `${describeRef(d.ref)} belongs to application "${owner}"; it is not taken over`,
        live,
      );
    }
    if (!live && d.ref.namespace && options.namespacesCreatedBySync.has(d.ref.namespace)) {
      const namespaceExists = await getObject(
        ctx.client,
        { group: '', version: 'v1', kind: 'Namespace', resource: 'namespaces', namespaced: false },
        undefined,
        d.ref.namespace,
      );
      if (!namespaceExists) {
        const invalid = await validateElsewhere(ctx, d);
        if (invalid) return failed(d, invalid);
        return {
          desired: d,
          action: 'Created',
          recreate: false,
          diff: unifiedDiff(name, undefined, d.object, options.masker),
          message: `namespace ${d.ref.namespace} is created in this sync`,
        };
      }
    }
    let dryRun: KubeObject;
    try {
      dryRun = await applyObject(ctx.client, d.info, d.object, {
        fieldManager: FIELD_MANAGER,
        dryRun: true,
        force: true,
      });
    } catch (err) {
      if (err instanceof KubeApiError && err.immutableField && live) {
        if (d.force) {
          return {
            desired: d,
            action: 'Configured',
            recreate: true,
            live,
            diff: unifiedDiff(name, live, d.object, options.masker),
            message: `immutable field changed (${err.message}); will delete and recreate (annotation ${FORCE_ANNOTATION})`,
          };
        }
        return failed(
          d,
          `${describeRef(d.ref)}: ${err.message}. To let Driftless delete and recreate it, annotate it ${FORCE_ANNOTATION}: "true"`,
          live,
        );
      }
      return failed(d, describeError(d, err), live);
    }
    if (!live) {
      return {
        desired: d,
        action: 'Created',
        recreate: false,
        diff: unifiedDiff(name, undefined, dryRun, options.masker),
      };
    }
    const same = canonicalJson(normalizeForDiff(dryRun)) === canonicalJson(normalizeForDiff(live));
    if (same)
      return {
        desired: d,
        action: 'Unchanged',
        recreate: false,
        live,
        liveResourceVersion: live.metadata.resourceVersion,
      };
    return {
      desired: d,
      action: 'Configured',
      recreate: false,
      live,
      diff: unifiedDiff(name, live, dryRun, options.masker),
    };
  });
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

export function describeError(d: DesiredObject, err: unknown): string {
  const where = `${d.source.file}#${d.source.index}`;
  if (err instanceof KubeApiError) {
    const denied = err.forbidden ? 'permission denied: ' : '';
    return `${describeRef(d.ref)} (${where}): ${denied}${err.message}`;
  }
  return `${describeRef(d.ref)} (${where}): ${err instanceof Error ? err.message : String(err)}`;
}
