import type { ResourceInfo } from '../kube/discovery.ts';
import {
  describeRef,
  groupOf,
  objectKey,
  refOf,
  type KubeObject,
  type ObjectRef,
} from '../kube/object.ts';
import { locationOf } from '../render/errors.ts';
import type { ManifestSource, RenderedObject } from '../render/types.ts';
import type { SyncContext } from './context.ts';
import { objectDigest } from './digest.ts';
import { waveOf } from './order.ts';
import { FORCE_ANNOTATION, withOwnerMarks } from './ownership.ts';

/** A rendered object made ready to send: namespaced, marked as ours, located on the server. */
export interface DesiredObject {
  object: KubeObject;
  ref: ObjectRef;
  key: string;
  source: ManifestSource;
  /** Where the server serves it; undefined while its CRD is still to be created in this sync. */
  info?: ResourceInfo;
  /** The kind comes from a CRD in this same sync: not dry-run before the CRD exists. */
  pendingCrd: boolean;
  digest: string;
  wave: number;
  /** May be deleted and recreated when an immutable field changes. */
  force: boolean;
}

export interface PrepareProblem {
  ref: ObjectRef;
  source: ManifestSource;
  message: string;
}

interface CrdDefinition {
  namespaced: boolean;
  versions: Set<string>;
}

/** Kinds defined by CRDs in the rendered set, keyed `group/kind`. */
function crdsInSet(rendered: RenderedObject[]): Map<string, CrdDefinition> {
  const defined = new Map<string, CrdDefinition>();
  for (const { object } of rendered) {
    if (
      object.kind !== 'CustomResourceDefinition' ||
      groupOf(object.apiVersion) !== 'apiextensions.k8s.io'
    )
      continue;
    const spec = object.spec as
      | {
          group?: string;
          scope?: string;
          names?: { kind?: string };
          versions?: { name?: string; served?: boolean }[];
        }
      | undefined;
    if (!spec?.group || !spec.names?.kind) continue;
    defined.set(`${spec.group}/${spec.names.kind}`, {
      namespaced: spec.scope !== 'Cluster',
      versions: new Set(
        (spec.versions ?? []).filter((v) => v.served !== false).map((v) => v.name ?? ''),
      ),
    });
  }
  return defined;
}

/**
 * Resolves every rendered object against the server's discovery, defaults its
 * namespace, adds our ownership marks and computes its digest. Problems are
 * collected, not thrown, so one run reports all of them.
 */
export async function prepareObjects(
  ctx: SyncContext,
  rendered: RenderedObject[],
): Promise<{ objects: DesiredObject[]; problems: PrepareProblem[] }> {
  const crds = crdsInSet(rendered);
  const objects: DesiredObject[] = [];
  const problems: PrepareProblem[] = [];
  for (const item of rendered) {
    const prepared = await prepareObject(ctx, item, crds);
    if (typeof prepared !== 'string') {
      objects.push(prepared);
      continue;
    }
    const ref = refOf(item.object);
    problems.push({ ref, source: item.source, message: `${describeRef(ref)}: ${prepared}` });
  }
  return { objects, problems: [...problems, ...duplicatesIn(objects)] };
}

/** The object ready to send, or what is wrong with it. */
async function prepareObject(
  ctx: SyncContext,
  item: RenderedObject,
  crds: Map<string, CrdDefinition>,
): Promise<DesiredObject | string> {
  const kind = await resolveKind(ctx, item.object, crds);
  if (typeof kind === 'string') return kind;
  const object = structuredClone(item.object);
  if (kind.namespaced) {
    object.metadata.namespace ??= ctx.namespace;
    if (!object.metadata.namespace)
      return 'namespaced object without metadata.namespace, and the application has no destination namespace';
  } else {
    delete object.metadata.namespace;
  }
  const marked = withOwnerMarks(object, ctx.app);
  let wave: number;
  try {
    wave = waveOf(marked);
  } catch (err) {
    return (err as Error).message;
  }
  const ref = refOf(marked);
  return {
    object: marked,
    ref,
    key: objectKey(ref),
    source: item.source,
    info: kind.info,
    pendingCrd: kind.info === undefined,
    digest: objectDigest(marked),
    wave,
    force: marked.metadata.annotations?.[FORCE_ANNOTATION] === 'true',
  };
}

/** Where the server serves the kind, or the CRD in this sync that will define it. */
async function resolveKind(
  ctx: SyncContext,
  object: KubeObject,
  crds: Map<string, CrdDefinition>,
): Promise<{ info?: ResourceInfo; namespaced: boolean } | string> {
  const info = await ctx.discovery.find(object.apiVersion, object.kind);
  if (info) return { info, namespaced: info.namespaced };
  const crd = crds.get(`${groupOf(object.apiVersion)}/${object.kind}`);
  const version = object.apiVersion.slice(object.apiVersion.indexOf('/') + 1);
  if (!crd || !crd.versions.has(version))
    return `the cluster does not serve kind ${object.kind} in ${object.apiVersion}, and no CustomResourceDefinition in this sync defines it`;
  return { namespaced: crd.namespaced };
}

function duplicatesIn(objects: DesiredObject[]): PrepareProblem[] {
  const seen = new Map<string, DesiredObject>();
  const problems: PrepareProblem[] = [];
  for (const o of objects) {
    const first = seen.get(o.key);
    if (first) {
      problems.push({
        ref: o.ref,
        source: o.source,
        message: `${describeRef(o.ref)} is defined twice: ${locationOf(first.source)} and ${locationOf(o.source)}`,
      });
    } else {
      seen.set(o.key, o);
    }
  }
  return problems;
}
