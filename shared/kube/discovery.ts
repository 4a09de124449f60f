import type { KubeClient } from './client.ts';

/** Where a kind is served and whether it lives in namespaces. */
export interface ResourceInfo {
  group: string;
  version: string;
  kind: string;
  /** The plural resource name used in URLs. */
  resource: string;
  namespaced: boolean;
}

interface DiscoveryList {
  items?: {
    metadata?: { name?: string };
    versions?: {
      version: string;
      resources?: { resource: string; scope: string; responseKind?: { kind?: string } }[];
    }[];
  }[];
}

// Aggregated discovery returns every group, version and resource in two
// requests (/api and /apis), instead of one request per group version.
const AGGREGATED = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

/**
 * Maps apiVersion + kind to URL paths, reading the server's discovery
 * documents once, and again on the first miss of a kind until `refresh`.
 */
export class Discovery {
  private readonly client: KubeClient;
  private table: Map<string, ResourceInfo> | undefined;
  private loading: Promise<Map<string, ResourceInfo>> | undefined;
  /**
   * Kinds looked up and not served since the table was last read: 200
   * objects of a CRD the sync creates would otherwise each re-read
   * discovery before it exists, one after the other (5 s at a 20 ms round trip).
   */
  private readonly absent = new Set<string>();
  /** Loads started; only the newest one's table is kept, so a slow older read cannot undo a newer one. */
  private loads = 0;

  constructor(client: KubeClient) {
    this.client = client;
  }

  private static key(apiVersion: string, kind: string): string {
    return `${apiVersion}|${kind}`;
  }

  private async load(): Promise<Map<string, ResourceInfo>> {
    const [core, groups] = await Promise.all([
      this.client.request<DiscoveryList>({ method: 'GET', path: '/api', accept: AGGREGATED }),
      this.client.request<DiscoveryList>({ method: 'GET', path: '/apis', accept: AGGREGATED }),
    ]);
    const table = new Map<string, ResourceInfo>();
    for (const group of [...(core.items ?? []), ...(groups.items ?? [])]) {
      const name = group.metadata?.name ?? '';
      for (const version of group.versions ?? []) {
        const apiVersion = name ? `${name}/${version.version}` : version.version;
        for (const r of version.resources ?? []) {
          const kind = r.responseKind?.kind;
          if (!kind) continue;
          table.set(Discovery.key(apiVersion, kind), {
            group: name,
            version: version.version,
            kind,
            resource: r.resource,
            namespaced: r.scope === 'Namespaced',
          });
        }
      }
    }
    return table;
  }

  /** Forgets what was read, e.g. after CRDs were created. */
  async refresh(): Promise<void> {
    const load = ++this.loads;
    const loading = this.load();
    this.loading = loading;
    try {
      const table = await loading;
      if (load === this.loads) {
        this.table = table;
        this.absent.clear();
      }
    } finally {
      if (this.loading === loading) this.loading = undefined;
    }
  }

  /**
   * Every group version the server serves, and each with its kinds
   * (`apps/v1`, `apps/v1/Deployment`): Helm's `.Capabilities.APIVersions`,
   * whose `Has` compares whole strings, so charts may test either form.
   */
  async apiVersions(): Promise<string[]> {
    if (this.loading) await this.loading;
    if (!this.table) await this.refresh();
    const out = new Set<string>();
    for (const key of this.table!.keys()) {
      const [apiVersion, kind] = key.split('|') as [string, string];
      out.add(apiVersion);
      out.add(`${apiVersion}/${kind}`);
    }
    return [...out].sort();
  }

  /**
   * The resource serving `kind` at `apiVersion`, or undefined when the server
   * does not know it even after re-reading discovery.
   */
  async find(apiVersion: string, kind: string): Promise<ResourceInfo | undefined> {
    if (this.loading) await this.loading;
    if (!this.table) await this.refresh();
    const key = Discovery.key(apiVersion, kind);
    const hit = this.table?.get(key);
    if (hit || this.absent.has(key)) return hit;
    // Concurrent misses share one re-read; one after it knows the kind is absent.
    if (this.loading) await this.loading;
    else await this.refresh();
    const found = this.table?.get(key);
    if (!found) this.absent.add(key);
    return found;
  }
}

/** The URL path of a collection (no name) or of one object. */
export function resourcePath(info: ResourceInfo, namespace?: string, name?: string): string {
  const prefix = info.group ? `/apis/${info.group}/${info.version}` : `/api/${info.version}`;
  const ns = info.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${prefix}${ns}/${info.resource}${name ? `/${encodeURIComponent(name)}` : ''}`;
}
