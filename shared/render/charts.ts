import { statSync } from 'node:fs';
import { RenderFailure } from './errors.ts';

/** A chart the engine resolved in its repository's index, downloaded unless cached, and checked against the index's digest. */
export interface FetchedChart {
  /** The verified .tgz. Other renders read the same file: copy it, never write to it. */
  archive: string;
  /** The version the range resolved to. */
  version: string;
  /** Hex sha256 of the archive. */
  digest: string;
}

/**
 * How a render gets a chart from a Helm repository without knowing about
 * credentials, caches or download limits: the engine builds it from its
 * source options (see shared/engine/render-step.ts).
 */
export interface ChartFetcher {
  fetch(repoURL: string, name: string, versionRange: string): Promise<FetchedChart>;
}

/**
 * One answer per repository, chart and range for the fetcher's life: the
 * render cache key and the render itself must see the same versions, even
 * when the index changes in between.
 */
export function fetchOnce(fetcher: ChartFetcher): ChartFetcher {
  const answers = new Map<string, Promise<FetchedChart>>();
  return {
    fetch(repoURL, name, versionRange) {
      const key = JSON.stringify([repoURL, name, versionRange]);
      let answer = answers.get(key);
      if (!answer) {
        answer = fetcher.fetch(repoURL, name, versionRange);
        answers.set(key, answer);
      }
      return answer;
    },
  };
}

/** What one render may fetch: a repository's author chooses these, so there are not many. */
export const MAX_FETCHED_CHARTS = 100;

/** A chart name as Helm repositories list it; it becomes a folder and file name, so no `/` or `..`. */
export const CHART_NAME = /^[a-z0-9]([-a-z0-9._]*[a-z0-9])?$/i;

/** Where a Chart.yaml dependency or a kustomization's helmCharts entry says its chart comes from. */
export type ChartRepository =
  /** A Helm repository (http/https) or a registry (`oci://`): the chart fetcher's to fetch. */
  | { kind: 'remote'; url: string }
  | { kind: 'file'; path: string }
  | { kind: 'none' }
  | { kind: 'refused'; why: string };

/** Link-local addresses: instance metadata and the like, which no Helm repository lives at. */
function linkLocal(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  // IPv4-mapped forms too: URL() writes [::ffff:169.254.169.254] as [::ffff:a9fe:a9fe].
  const v4 = h.replace(/^::ffff:/, '');
  return (
    /^169\.254\./.test(v4) ||
    /^a9fe:/.test(v4) ||
    /^fe[89ab][0-9a-f]:/.test(h) ||
    h === 'fd00:ec2::254'
  );
}

/**
 * Reads a repository as Helm's `repository` field means it. A repository's
 * author chooses the URL, so it may not carry credentials (those come from
 * the configuration, scoped to it) nor point at instance metadata.
 */
export function chartRepository(repository: unknown): ChartRepository {
  if (repository === undefined || repository === null || repository === '') return { kind: 'none' };
  if (typeof repository !== 'string')
    return { kind: 'refused', why: 'repository must be a string' };
  if (/^file:\/\//i.test(repository)) return { kind: 'file', path: repository.slice(7) };
  if (/^oci:\/\//i.test(repository)) return ociRepository(repository);
  if (/^(@|alias:)/.test(repository))
    return {
      kind: 'refused',
      why: `${repository} names a repository added with \`helm repo add\`, which a render does not have; give the repository's https:// URL`,
    };
  const url = URL.parse(repository);
  if (!url || !/^https?:$/.test(url.protocol))
    return {
      kind: 'refused',
      why: 'repository must be an https:// (or http://) Helm repository, a file:// folder or an oci:// URL',
    };
  if (url.username || url.password)
    return {
      kind: 'refused',
      why: 'the repository URL must not embed credentials; they come from the configuration, matched by URL',
    };
  if (linkLocal(url.hostname))
    return {
      kind: 'refused',
      why: 'a link-local address (instance metadata) is never fetched from',
    };
  return { kind: 'remote', url: repository };
}

/** `oci://REGISTRY/NAMESPACE`, where Helm finds `NAMESPACE/<name>` (as `helm push` stores it). */
function ociRepository(repository: string): ChartRepository {
  const host = /^oci:\/\/([^/@\s]+)\/[^@\s]+$/i.exec(repository)?.[1];
  if (!host)
    return {
      kind: 'refused',
      why: 'an oci:// repository must be oci://REGISTRY/NAMESPACE, without credentials (they come from the configuration, matched by URL)',
    };
  if (linkLocal(host.replace(/:\d+$/, '')))
    return {
      kind: 'refused',
      why: 'a link-local address (instance metadata) is never fetched from',
    };
  return { kind: 'remote', url: repository };
}

/** A repository as messages show it: without user info or a query, which may hold secrets. */
export function shownRepository(repository: unknown): string {
  if (typeof repository !== 'string') return String(repository);
  return repository.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1').replace(/[?#].*$/, '');
}

/** Whether `path` is a folder (through links); false for anything that is not, or cannot be read. */
export function isFolder(path: string): boolean {
  try {
    return statSync(path, { throwIfNoEntry: false })?.isDirectory() ?? false;
  } catch {
    return false;
  }
}

/**
 * The first line of a fetch error: a parser's excerpt of what a server
 * answered (which may be anything the URL's author pointed us at) is left
 * out, and so is the chart source's own `chart NAME RANGE from URL: `, which
 * the caller's message already says.
 */
export function fetchProblem(error: unknown, repoURL: string, name: string, range: string): string {
  const line = (error instanceof Error ? error.message : String(error)).split('\n')[0]!;
  const repeated = `chart ${name} ${range} from ${repoURL}: `;
  return line.startsWith(repeated) ? line.slice(repeated.length) : line;
}

/** Charts named by the repository could not be fetched, or are declared wrongly; nothing was applied. */
export class ChartDependencyError extends RenderFailure {
  readonly problems: string[];
  constructor(what: string, problems: string[]) {
    const lines = problems.slice(0, 20).map((p) => `  - ${p}`);
    if (problems.length > 20) lines.push(`  ... and ${problems.length - 20} more`);
    super('CHART_DEPENDENCY', `${what}; nothing was applied:\n${lines.join('\n')}`);
    this.problems = problems;
  }
}
