import { mapLimit } from '../util/map-limit.ts';
import { listMetadata } from '../kube/operations.ts';
import type { SyncContext } from './context.ts';
import { APP_LABEL } from './ownership.ts';
import type { DesiredObject } from './prepare.ts';

/**
 * The live resourceVersion of each desired object that exists and carries
 * this application's label, by key: one metadata list per kind and namespace
 * (a few KB per hundred objects), instead of a read of each object.
 */
export async function liveVersions(
  ctx: SyncContext,
  desired: DesiredObject[],
): Promise<Map<string, string>> {
  const groups = new Map<string, DesiredObject[]>();
  for (const d of desired) {
    if (!d.info) continue;
    const key = `${d.object.apiVersion}|${d.object.kind}|${d.object.metadata.namespace ?? ''}`;
    const group = groups.get(key);
    if (group) group.push(d);
    else groups.set(key, [d]);
  }
  const versions = new Map<string, string>();
  await mapLimit([...groups.values()], ctx.concurrency, async (group) => {
    const first = group[0] as DesiredObject;
    const metas = await listMetadata(
      ctx.client,
      first.info!,
      first.object.metadata.namespace,
      `${APP_LABEL}=${ctx.app}`,
    );
    const byName = new Map(metas.map((m) => [m.name ?? '', m.resourceVersion]));
    for (const d of group) {
      const rv = byName.get(d.ref.name);
      if (rv) versions.set(d.key, rv);
    }
  });
  return versions;
}
