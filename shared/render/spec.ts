import { posix } from 'node:path';
import { parse as parseYaml } from 'yaml';
import * as z from 'zod';

const glob = z.string().min(1, 'a glob must not be empty');

const DirectorySpec = z.strictObject({
  /** Descend into subdirectories. */
  recurse: z.boolean().default(false),
  /** Glob matched against each file's path relative to the application directory. */
  include: glob.optional(),
  exclude: glob.optional(),
});

const valueFile = z
  .string()
  .min(1)
  .refine((value) => {
    const normalized = posix.normalize(value);
    return !posix.isAbsolute(value) && normalized !== '..' && !normalized.startsWith('../');
  }, 'value files must be paths inside the application directory (relative, no "..")');

const inlineValues = z.union(
  [
    z.record(z.string(), z.unknown()),
    z.string().superRefine((text, ctx) => {
      let parsed: unknown;
      try {
        parsed = parseYaml(text);
      } catch (error) {
        ctx.addIssue({
          code: 'custom',
          message: `values is not valid YAML: ${(error as Error).message}`,
        });
        return;
      }
      if (parsed !== null && (typeof parsed !== 'object' || Array.isArray(parsed))) {
        ctx.addIssue({ code: 'custom', message: 'values must be a YAML mapping (key: value)' });
      }
    }),
  ],
  { error: 'values must be a mapping or a string of YAML' },
);

// Helm's own limit: the name ends up in labels and generated resource names.
const releaseName = z
  .string()
  .max(53, 'releaseName must be at most 53 characters (Helm limit)')
  .regex(
    /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/,
    'releaseName must be lowercase letters, digits, "-" and ".", starting and ending with a letter or digit',
  );

const kubeVersion = z
  .string()
  .regex(/^v?\d+\.\d+(\.\d+)?([-+][0-9A-Za-z.-]+)?$/, 'kubeVersion must look like 1.36 or v1.36.3');

const KustomizeSpec = z.strictObject({
  /**
   * Let kustomize fetch remote bases and resources (https:// or Git URLs)
   * from the reconciler's network. Off by default: a repository author
   * would otherwise choose what the reconciler connects to.
   */
  allowRemoteResources: z.boolean().optional(),
  /**
   * Render the kustomizations' `helmCharts` (kustomize's `--enable-helm`).
   * Driftless downloads and verifies each chart itself and kustomize runs
   * offline; off by default, as in kustomize.
   */
  enableHelm: z.boolean().optional(),
});

const HelmSpec = z.strictObject({
  releaseName: releaseName.optional(),
  /** Applied in order, then `values` on top. */
  valueFiles: z.array(valueFile).default([]),
  values: inlineValues.optional(),
  /** Overrides the cluster's version for `.Capabilities.KubeVersion`. */
  kubeVersion: kubeVersion.optional(),
});

/**
 * How to turn the application directory into manifests: exactly one of
 * `directory`, `kustomize` or `helm`. Leave the whole section out to detect
 * it from the files (Chart.yaml → helm, kustomization → kustomize, else directory).
 */
export const RenderSpec = z
  .strictObject({
    directory: DirectorySpec.optional(),
    kustomize: KustomizeSpec.optional(),
    helm: HelmSpec.optional(),
  })
  .superRefine((value, ctx) => {
    const named = Object.keys(value).filter(
      (key) => value[key as keyof typeof value] !== undefined,
    );
    if (named.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message: `render must name exactly one of directory, kustomize, helm (got ${named.length === 0 ? 'none' : named.join(', ')})`,
      });
    }
  });

export type RenderSpec = z.output<typeof RenderSpec>;
export type RenderSpecInput = z.input<typeof RenderSpec>;
export type DirectorySpec = z.output<typeof DirectorySpec>;
export type HelmSpec = z.output<typeof HelmSpec>;
export type KustomizeSpec = z.output<typeof KustomizeSpec>;
