import type { ResourceInfo } from '../kube/discovery.ts';
import {
  describeRef,
  groupOf,
  objectKey,
  refOf,
  type KubeObject,
  type ObjectRef,
} from '../kube/object.ts';
import type { RenderedObject } from '../render/types.ts';
import type { SyncContext } from './context.ts';
import { objectDigest } from './digest.ts';
import { waveOf } from './order.ts';
import { FORCE_ANNOTATION, withOwnerMarks } from './ownership.ts';

/** A rendered object made ready to send: namespaced, marked as ours, located on the server. */
export interface DesiredObject {
  object: KubeObject;
  ref: ObjectRef;
  key: string;
  source: { file: string; index: number };
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
  source: { file: string; index: number };
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
    const original = item.object;
    const fail = (message: string): void => {
      problems.push({
        ref: refOf(original),
        source: item.source,
        message: `${describeRef(refOf(original))}: ${message}`,
      });
    };
    let info = await ctx.discovery.find(original.apiVersion, original.kind);
    let namespaced: boolean;
    let pendingCrd = false;
    if (info) {
      namespaced = info.namespaced;
    } else {
      const crd = crds.get(`${groupOf(original.apiVersion)}/${original.kind}`);
      const version = original.apiVersion.slice(original.apiVersion.indexOf('/') + 1);
      if (!crd || !crd.versions.has(version)) {
        fail(
          `the cluster does not serve kind ${original.kind} in ${original.apiVersion}, and no CustomResourceDefinition in this sync defines it`,
        );
        continue;
      }
      namespaced = crd.namespaced;
      pendingCrd = true;
      info = undefined;
    }
    const object = structuredClone(original);
    if (namespaced) {
      object.metadata.namespace ??= ctx.namespace;
      if (!object.metadata.namespace) {
        fail(
          'namespaced object without metadata.namespace, and the application has no destination namespace',
        );
        continue;
      }
    } else {
      delete object.metadata.namespace;
    }
    const marked = withOwnerMarks(object, ctx.app);
    let wave: number;
    try {
      wave = waveOf(marked);
    } catch (err) {
      fail((err as Error).message);
      continue;
    }
    const ref = refOf(marked);
    objects.push({
      object: marked,
      ref,
      key: objectKey(ref),
      source: item.source,
      info,
      pendingCrd,
      digest: objectDigest(marked),
      wave,
      force: marked.metadata.annotations?.[FORCE_ANNOTATION] === 'true',
    });
  }
  const seen = new Map<string, DesiredObject>();
  for (const o of objects) {
    const first = seen.get(o.key);
    if (first) {
      problems.push({
        ref: o.ref,
        source: o.source,
        message: `${describeRef(o.ref)} is defined twice: ${first.source.file}#${first.source.index} and ${o.source.file}#${o.source.index}`,
      });
    } else {
      seen.set(o.key, o);
    }
  }
  return { objects, problems };
}
