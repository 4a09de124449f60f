import type { KubeClient } from './client.ts';
import type { ResourceInfo } from './discovery.ts';

const AGGREGATED = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

interface DiscoveryList {
  items?: {
    metadata?: { name?: string };
    versions?: {
      version: string;
      resources?: {
        resource: string;
        scope: string;
        verbs?: string[];
        responseKind?: { kind?: string };
      }[];
    }[];
  }[];
}

/**
 * Every namespaced kind the server serves with all of `verbs`, once per
 * group at the first version that serves it: aggregated discovery lists a
 * group's versions preferred first, so this is the preferred version
 * (kubectl's ServerPreferredResources does the same). Read here, not through
 * Discovery, whose table keeps neither verbs nor the order of versions.
 */
export async function namespacedKinds(
  client: KubeClient,
  verbs: readonly string[],
): Promise<ResourceInfo[]> {
  const lists = await Promise.all(
    ['/api', '/apis'].map((path) =>
      client.request<DiscoveryList>({ method: 'GET', path, accept: AGGREGATED }),
    ),
  );
  const kinds = new Map<string, ResourceInfo>();
  for (const group of lists.flatMap((l) => l.items ?? [])) {
    const name = group.metadata?.name ?? '';
    for (const version of group.versions ?? []) {
      for (const r of version.resources ?? []) {
        const kind = r.responseKind?.kind;
        const served = new Set(r.verbs ?? []);
        if (!kind || r.scope !== 'Namespaced' || !verbs.every((v) => served.has(v))) continue;
        const key = `${name}/${r.resource}`;
        if (kinds.has(key)) continue;
        kinds.set(key, {
          group: name,
          version: version.version,
          kind,
          resource: r.resource,
          namespaced: true,
        });
      }
    }
  }
  return [...kinds.values()];
}
