import * as z from 'zod';
import { PayloadError } from './payload-error.ts';
import type { Provider } from './providers.ts';

/** One ref update, reduced to what routing needs. */
export interface PushEvent {
  provider: Provider;
  deliveryId: string;
  /** Every clone and web URL form the payload gives for the repository. */
  repoURLs: string[];
  ref: { type: 'branch' | 'tag'; name: string };
  defaultBranch?: string;
  /** The commit the ref now points to. */
  after?: string;
  /**
   * Files the push touched, relative to the repository root. Absent when the
   * payload does not list them or the list may be incomplete (truncated
   * commits, a new ref, a force push, a tag): routing then cannot filter by path.
   */
  changedPaths?: string[];
}

/** A verified delivery that asks for no reconcile: a ping, another event, a deletion. */
export interface Ignored {
  ignored: string;
}

export function parsePayload<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  const result = schema.safeParse(value);
  if (!result.success) throw PayloadError.fromZod(result.error);
  return result.data;
}

/** `refs/heads/x` or `refs/tags/x`; anything else (notes, pull refs) is not routed. */
export function parseRef(ref: string): PushEvent['ref'] | undefined {
  for (const [prefix, type] of [
    ['refs/heads/', 'branch'],
    ['refs/tags/', 'tag'],
  ] as const) {
    if (ref.startsWith(prefix) && ref.length > prefix.length) {
      return { type, name: ref.slice(prefix.length) };
    }
  }
  return undefined;
}

/** Git's null object id (SHA-1 or SHA-256): the ref did not exist before, or no longer does. */
export function isNullSha(sha: string): boolean {
  return /^0+$/.test(sha);
}

export function refDeleted(ref: PushEvent['ref']): Ignored {
  return { ignored: `${ref.type} ${ref.name} deleted` };
}

export function unroutableRef(ref: string): Ignored {
  return { ignored: `ref ${ref} is neither a branch nor a tag` };
}

/** Distinct, non-empty URL strings, in payload order; `field` names the object they came from. */
export function repoURLs(
  candidates: readonly (string | null | undefined)[],
  field = 'repository',
): string[] {
  const urls = [...new Set(candidates.filter((url): url is string => Boolean(url)))];
  if (urls.length === 0) throw new PayloadError([`${field}: no URL in the payload`]);
  return urls;
}

// Gitea marshals an empty Go slice as null; an absent list means the forge
// does not report files at all.
const fileList = z.array(z.string()).nullish();

export const CommitFiles = z.object({
  added: fileList,
  modified: fileList,
  removed: fileList,
});

export type CommitFiles = z.output<typeof CommitFiles>;

/**
 * The union of files touched by `commits`, or undefined when any commit does
 * not list its files. An empty commit list is also unknown: the ref moved, but
 * the payload does not say what changed.
 */
export function changedPaths(commits: readonly CommitFiles[]): string[] | undefined {
  if (commits.length === 0) return undefined;
  const paths = new Set<string>();
  for (const commit of commits) {
    if (
      commit.added === undefined &&
      commit.modified === undefined &&
      commit.removed === undefined
    ) {
      return undefined;
    }
    for (const path of [
      ...(commit.added ?? []),
      ...(commit.modified ?? []),
      ...(commit.removed ?? []),
    ]) {
      paths.add(path);
    }
  }
  return [...paths].sort();
}
