import { parse } from 'yaml';
import * as z from 'zod';
import { chartGet, type ChartHttpOptions } from './http.ts';

/** One version of a chart as a repository's index.yaml lists it. */
export interface IndexedChart {
  name: string;
  version: string;
  /** Helm downloads the first; relative URLs resolve against the repository URL. */
  urls: string[];
  /** Hex sha256 of the .tgz, without a prefix (as `helm repo index` writes it). */
  digest: string | undefined;
}

const Entry = z.looseObject({
  name: z.string(),
  version: z.string(),
  urls: z.array(z.string()).default([]),
  digest: z.string().optional(),
});
const IndexFile = z.looseObject({
  entries: z.record(z.string(), z.array(z.unknown()).nullable()).default({}),
});

export type ChartIndex = Map<string, IndexedChart[]>;

interface Cached {
  index: ChartIndex;
  etag: string | undefined;
  readAt: number;
}

/**
 * Indexes read in this process, by repository URL. Within `FRESH_MS` a second
 * reconcile of the same repository (the other applications of a tick) asks
 * nothing; after it, a conditional GET costs one round trip and no body when
 * the index is unchanged. Bounded: a process sees few repositories.
 */
const cache = new Map<string, Cached>();
const FRESH_MS = 60_000;
const MAX_CACHED = 64;

export interface IndexReadOptions extends Omit<ChartHttpOptions, 'scope' | 'headers'> {
  now?: () => number;
}

export function indexURL(repoURL: string): string {
  return new URL('index.yaml', repoURL.endsWith('/') ? repoURL : `${repoURL}/`).toString();
}

/** The repository's index, from this process's cache when fresh enough. */
export async function readIndex(repoURL: string, options: IndexReadOptions): Promise<ChartIndex> {
  const now = options.now?.() ?? Date.now();
  const hit = cache.get(repoURL);
  if (hit && now - hit.readAt < FRESH_MS) return hit.index;
  const response = await chartGet(indexURL(repoURL), {
    ...options,
    scope: repoURL,
    headers: hit?.etag ? { 'if-none-match': hit.etag } : {},
  });
  if (response.status === 304 && hit) {
    hit.readAt = now;
    return hit.index;
  }
  if (response.status !== 200) throw new IndexStatusError(response.status);
  const index = parseIndex(response.body.toString('utf8'));
  if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value!);
  cache.set(repoURL, { index, etag: response.headers.get('etag') ?? undefined, readAt: now });
  return index;
}

/** Forgets cached indexes (tests, and a process that must see a republished index at once). */
export function forgetIndexes(): void {
  cache.clear();
}

function parseIndex(text: string): ChartIndex {
  let raw: unknown;
  try {
    raw = parse(text, { maxAliasCount: 100 });
  } catch (err) {
    throw new Error(`index.yaml is not valid YAML: ${(err as Error).message}`, { cause: err });
  }
  const parsed = IndexFile.safeParse(raw);
  if (!parsed.success)
    throw new Error(
      `index.yaml is not a Helm repository index: ${parsed.error.issues[0]?.message}`,
    );
  const index: ChartIndex = new Map();
  for (const [name, versions] of Object.entries(parsed.data.entries)) {
    const list: IndexedChart[] = [];
    for (const v of versions ?? []) {
      const entry = Entry.safeParse(v);
      // A malformed entry of some other version does not make the chart unusable.
      if (entry.success)
        list.push({
          name,
          version: entry.data.version,
          urls: entry.data.urls,
          digest: entry.data.digest,
        });
    }
    index.set(name, list);
  }
  return index;
}

export class IndexStatusError extends Error {
  readonly status: number;
  constructor(status: number) {
    super(`index.yaml: HTTP ${status}`);
    this.name = 'IndexStatusError';
    this.status = status;
  }
}
