import * as z from 'zod';
import { Metadata } from './names.ts';

/**
 * A glob as Argo CD's AppProject reads them: `*` matches any run of
 * characters (`/` included), `?` one character, everything else itself.
 */
export const Glob = z
  .string()
  .min(1)
  .max(512)
  .refine(
    (v) => !v.startsWith('!'),
    'deny globs ("!...") are not supported: list what is allowed (a "!" entry would silently allow nothing less)',
  );

/** A group and kind; `*` in either matches any, `""` is the core group. */
export const GroupKind = z.strictObject({
  group: z.string().max(253),
  kind: z.string().min(1).max(63),
});

/** Where a project's applications may deploy: cluster names and namespaces, as globs. */
export const ProjectDestination = z.strictObject({
  cluster: Glob,
  namespace: Glob,
});

/**
 * The ServiceAccount a project's writes to matching destinations are made as,
 * on clusters reached through a kubeconfig: `name` (in the destination's
 * namespace) or `namespace:name`. Argo CD's `destinationServiceAccounts`.
 */
export const DestinationServiceAccount = z.strictObject({
  cluster: Glob,
  namespace: Glob,
  defaultServiceAccount: z
    .string()
    .regex(
      /^([a-z0-9]([-a-z0-9]*[a-z0-9])?:)?[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/,
      'must be a ServiceAccount name, or namespace:name',
    ),
});

/** Objects in the application's namespaces that nobody declared (Argo CD's orphanedResources). */
export const OrphanedResources = z.strictObject({
  warn: z.boolean().default(true),
  ignore: z
    .array(
      z.strictObject({
        group: z.string().default(''),
        kind: Glob,
        name: Glob.optional(),
      }),
    )
    .default([]),
});

export const ProjectSpec = z.strictObject({
  description: z.string().max(1000).optional(),
  /** Repository URLs the project's applications may use. */
  sourceRepos: z.array(Glob).min(1),
  destinations: z.array(ProjectDestination).min(1),
  /** Cluster-scoped kinds the project may manage; none when absent (as in Argo CD). */
  clusterResourceWhitelist: z.array(GroupKind).default([]),
  clusterResourceBlacklist: z.array(GroupKind).default([]),
  /** Namespaced kinds the project may manage; every kind when absent. */
  namespaceResourceWhitelist: z.array(GroupKind).optional(),
  namespaceResourceBlacklist: z.array(GroupKind).default([]),
  orphanedResources: OrphanedResources.optional(),
  destinationServiceAccounts: z.array(DestinationServiceAccount).default([]),
});

export const Project = z.strictObject({
  apiVersion: z.literal('driftless.dev/v1alpha1', {
    error: 'apiVersion must be driftless.dev/v1alpha1',
  }),
  kind: z.literal('Project', { error: 'kind must be Project' }),
  metadata: Metadata,
  spec: ProjectSpec,
});

export type Project = z.output<typeof Project>;
export type ProjectInput = z.input<typeof Project>;
export type GroupKind = z.output<typeof GroupKind>;

/** The project of an application that names none. */
export const DEFAULT_PROJECT_NAME = 'default';

/**
 * The `default` project when the configuration declares none: everything
 * allowed, writes made with Driftless's own identity, as before projects
 * existed. Declaring a Project named `default` replaces it (docs/projects.md).
 */
export const BUILT_IN_DEFAULT_PROJECT: Project = Project.parse({
  apiVersion: 'driftless.dev/v1alpha1',
  kind: 'Project',
  metadata: { name: DEFAULT_PROJECT_NAME },
  spec: {
    description: 'built in: every repository, destination and kind',
    sourceRepos: ['*'],
    destinations: [{ cluster: '*', namespace: '*' }],
    clusterResourceWhitelist: [{ group: '*', kind: '*' }],
  },
});
