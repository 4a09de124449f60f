import { posix } from 'node:path';
import * as z from 'zod';

const FULL_SHA = /^[0-9a-f]{40}$/;

/** A full commit SHA names one immutable commit, so it needs no head lookup. */
export function isFullSha(revision: string): boolean {
  return FULL_SHA.test(revision);
}

const repoURL = z
  .url({ protocol: /^https?$/, error: 'repoURL must be an http:// or https:// URL' })
  .refine((value) => {
    // Refinements run even after the format check failed; that one already reported it.
    const url = URL.parse(value);
    return !url || (url.username === '' && url.password === '');
  }, 'repoURL must not embed credentials: specs are stored and logged; supply them through the auth callback');

// The subset of git-check-ref-format(1) that matters for a name we send to a server.
export const GitRevision = z
  .string()
  .min(1, 'targetRevision must not be empty')
  .refine(
    (value) =>
      ![...value].some((char) => char <= ' ' || char === '\u007f' || '~^:?*[\\'.includes(char)) &&
      !value.includes('..') &&
      !value.includes('@{') &&
      !value.startsWith('/') &&
      !value.endsWith('/') &&
      !value.endsWith('.') &&
      !value.endsWith('.lock'),
    'targetRevision must be a branch, a tag, HEAD or a full 40-character commit SHA',
  );

const appPath = z
  .string()
  .refine((value) => !value.includes('\0'), 'path must not contain NUL')
  .refine(
    (value) => !value.startsWith('/'),
    'path must be relative to the repository root, not absolute',
  )
  .transform((value) => posix.normalize(value.replace(/\/+$/, '') || '.'))
  .refine(
    (value) => value !== '..' && !value.startsWith('../'),
    'path must stay inside the repository (no ".." escaping the root)',
  );

/** Where an application's manifests live in Git. */
export const SourceSpec = z.strictObject({
  repoURL,
  /** `HEAD` is the server's default branch, as in Argo CD. */
  targetRevision: GitRevision.default('HEAD'),
  /** Directory inside the repository, normalized (`./a/b/` → `a/b`, root → `.`). */
  path: appPath.default('.'),
});

export type SourceSpec = z.output<typeof SourceSpec>;
export type SourceSpecInput = z.input<typeof SourceSpec>;
