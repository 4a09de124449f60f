import { posix } from 'node:path';
import semver from 'semver';
import * as z from 'zod';

/** `oci://registry/repository`, credentials never in it. */
export const OciURL = z
  .string()
  .regex(/^oci:\/\/[^/@\s]+\/[^\s@]+$/, 'must be oci://REGISTRY/REPOSITORY, without credentials');

/** A tag, a semver range over the tags, or a manifest digest. */
export const OciRevision = z
  .string()
  .min(1)
  .refine(
    (v) =>
      /^sha256:[0-9a-f]{64}$/.test(v) ||
      /^[\w][\w.-]{0,127}$/.test(v) ||
      semver.validRange(v) !== null,
    'targetRevision must be a tag, a semver range over the tags (^1.2) or a digest (sha256:...)',
  );

/**
 * Plain manifests as an OCI artifact, as Flux's OCIRepository stores them:
 * a tar.gz layer of YAML (`flux push artifact`, `oras push`).
 */
export const OciArtifactSource = z.strictObject({
  repoURL: OciURL,
  targetRevision: OciRevision.default('latest'),
  /** A folder inside the artifact. */
  path: z
    .string()
    .default('.')
    .transform((v) => posix.normalize(v.replace(/\/+$/, '') || '.'))
    .refine(
      (v) => !v.startsWith('/') && v !== '..' && !v.startsWith('../'),
      'path must stay inside the artifact',
    ),
});

/** Its URL typed as `oci://…`, so a Git source (an http(s) URL) is never taken for one. */
export type OciArtifactSource = Omit<z.output<typeof OciArtifactSource>, 'repoURL'> & {
  repoURL: `oci://${string}`;
};

export function isOciArtifactSource(
  source: { repoURL: string } & object,
): source is OciArtifactSource {
  return source.repoURL.startsWith('oci://') && !('chart' in source);
}

export function isDigest(revision: string): boolean {
  return /^sha256:[0-9a-f]{64}$/.test(revision);
}
