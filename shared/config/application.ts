import * as z from 'zod';
import { RenderSpec } from '../render/spec.ts';
import { AppSource, type AppSourceInput } from '../source/app-source-spec.ts';
import {
  refValueFile,
  SourceEntrySchema,
  type SourceEntry,
  type SourceEntryInput,
} from './sources.ts';
import { IgnoreDifference } from './ignore-differences.ts';
import { Limits } from './limits.ts';
import { Metadata, ResourceName } from './names.ts';

const SYNC_OPTIONS = [
  'CreateNamespace=true',
  'CreateNamespace=false',
  'Validate=true',
  'Validate=false',
  'AdoptExisting=true',
  'AdoptExisting=false',
] as const;

/**
 * Go-style duration (`90s`, `5m`, `1h30m`) → milliseconds. A number is taken
 * as milliseconds already, so a parsed definition (stored in the registry)
 * parses again to the same value.
 */
const DurationText = z
  .string()
  .regex(/^(\d+h)?(\d+m)?(\d+s)?$/, 'must be a duration like 30s, 5m or 1h30m')
  .refine((v) => v.length > 0, 'must not be empty')
  .transform((v) => {
    const [, h, m, s] = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(v) ?? [];
    return ((Number(h ?? 0) * 60 + Number(m ?? 0)) * 60 + Number(s ?? 0)) * 1000;
  });

export const Duration = z.union([z.number().int().positive(), DurationText]);

export const SyncPolicy = z.strictObject({
  /** Present: sync on every reconcile; absent: only report drift (sync on request). */
  automated: z
    .strictObject({
      /** Delete objects removed from Git. */
      prune: z.boolean().default(false),
      /** Re-apply when the live state drifts without a new commit. */
      selfHeal: z.boolean().default(false),
      /** Allow a sync whose source renders no objects (and so would prune everything). */
      allowEmpty: z.boolean().default(false),
    })
    .optional(),
  syncOptions: z
    .array(z.enum(SYNC_OPTIONS, { error: `must be one of ${SYNC_OPTIONS.join(', ')}` }))
    .default([]),
});

export const Destination = z.strictObject({
  cluster: ResourceName,
  /** Namespace for namespaced objects that name none. */
  namespace: ResourceName.optional(),
});

/** One destination of a progressive rollout; lower waves go first, equal waves together. */
export const WaveDestination = z.strictObject({
  cluster: ResourceName,
  namespace: ResourceName.optional(),
  wave: z.number().int().min(0).max(100).default(0),
  /** Alarms watched while this destination bakes, besides spec.rollback.alarms (e.g. per region). */
  alarms: z.array(z.string().min(1)).optional(),
});

/**
 * What the engine watches after a sync that changed the revision ("baking"),
 * and when it rolls back on its own to the last revision whose bake passed.
 * Applies to automated applications: a person syncing by hand is watching.
 */
export const RollbackPolicy = z.strictObject({
  /** Roll back when the application's health turns Degraded during bake time. */
  onDegraded: z.boolean().default(true),
  /** CloudWatch alarm names or ARNs; any of them in ALARM during bake time rolls back. */
  alarms: z.array(z.string().min(1)).default([]),
  /** How long a new revision is watched before it becomes a rollback target itself. */
  bakeTime: Duration.prefault('10m'),
});

export type RollbackPolicy = z.output<typeof RollbackPolicy>;

export const ApplicationSpec = z
  .strictObject({
    /** A Git folder, a chart from a Helm repository or registry, or an OCI artifact. */
    source: AppSource.optional(),
    /** Several sources, rendered together (Argo CD's multi-source); exactly one of source and sources. */
    sources: z.array(SourceEntrySchema).min(1).max(8).optional(),
    /** The Project whose rules and identity the application runs under (docs/projects.md). */
    project: ResourceName.default('default'),
    /** How to turn the source directory into objects; detected from its files when absent. */
    render: RenderSpec.optional(),
    /** Where it runs: one cluster. Exactly one of destination and destinations. */
    destination: Destination.optional(),
    /** Several clusters, rolled out wave by wave (see shared/rollout/waves.ts). */
    destinations: z.array(WaveDestination).min(1).optional(),
    syncPolicy: SyncPolicy.default({ syncOptions: [] }),
    /** Stop scheduled and webhook syncs until resumed. */
    suspend: z.boolean().default(false),
    /** How long a sync waits for its objects to become healthy. */
    healthTimeout: Duration.prefault('5m'),
    /** Watch each new revision and roll back on Degraded health or a firing alarm. */
    rollback: RollbackPolicy.optional(),
    /** Bounds on what the repository may make us fetch, write and render (see limits.ts). */
    limits: Limits.prefault({}),
    /** Fields left to other managers: not compared, not applied (see ignore-differences.ts). */
    ignoreDifferences: z.array(IgnoreDifference).default([]),
  })
  .superRefine((spec, ctx) => {
    checkSources(spec, ctx);
    if (Boolean(spec.destination) === Boolean(spec.destinations))
      ctx.addIssue({
        code: 'custom',
        path: spec.destination ? ['destinations'] : ['destination'],
        message: 'give exactly one of destination (one cluster) or destinations (a rollout)',
      });
    const seen = new Set<string>();
    for (const [i, d] of (spec.destinations ?? []).entries()) {
      // One state per (application, cluster): a cluster appears once.
      if (seen.has(d.cluster))
        ctx.addIssue({
          code: 'custom',
          path: ['destinations', i, 'cluster'],
          message: `cluster ${d.cluster} is already a destination`,
        });
      seen.add(d.cluster);
      if (d.alarms && !spec.rollback)
        ctx.addIssue({
          code: 'custom',
          path: ['destinations', i, 'alarms'],
          message: 'alarms are watched during bake time: set spec.rollback too',
        });
    }
  });

export const Application = z.strictObject({
  apiVersion: z.literal('driftless.dev/v1alpha1', {
    error: 'apiVersion must be driftless.dev/v1alpha1',
  }),
  kind: z.literal('Application', { error: 'kind must be Application' }),
  metadata: Metadata,
  spec: ApplicationSpec,
});

export type Application = z.output<typeof Application>;
export type ApplicationInput = Omit<z.input<typeof Application>, 'spec'> & {
  spec: Omit<z.input<typeof ApplicationSpec>, 'source' | 'sources'> & {
    source?: AppSourceInput;
    sources?: SourceEntryInput[];
  };
};

/**
 * Exactly one of source and sources; with sources, render goes with each
 * source, refs are unique, and every `$ref/…` value file names a ref.
 */
function checkSources(
  spec: { source?: AppSource | undefined; sources?: SourceEntry[] | undefined; render?: unknown },
  ctx: z.RefinementCtx,
): void {
  if (Boolean(spec.source) === Boolean(spec.sources)) {
    ctx.addIssue({
      code: 'custom',
      path: spec.source ? ['sources'] : ['source'],
      message: 'give exactly one of source or sources',
    });
    return;
  }
  if (!spec.sources) return;
  if (spec.render !== undefined)
    ctx.addIssue({
      code: 'custom',
      path: ['render'],
      message: 'with sources, give render in each source',
    });
  const refs = new Set<string>();
  for (const [i, entry] of spec.sources.entries()) {
    if (entry.ref && refs.has(entry.ref))
      ctx.addIssue({
        code: 'custom',
        path: ['sources', i, 'ref'],
        message: `ref ${entry.ref} is already used`,
      });
    if (entry.ref) refs.add(entry.ref);
  }
  for (const [i, entry] of spec.sources.entries()) {
    for (const [j, file] of (entry.render?.helm?.valueFiles ?? []).entries()) {
      const named = refValueFile(file);
      if (named && !refs.has(named.ref))
        ctx.addIssue({
          code: 'custom',
          path: ['sources', i, 'render', 'helm', 'valueFiles', j],
          message: `$${named.ref} names no source's ref`,
        });
    }
  }
  if (!spec.sources.some((e) => !e.ref))
    ctx.addIssue({
      code: 'custom',
      path: ['sources'],
      message: 'every source has a ref: none would render',
    });
}

export function syncOption(
  app: Application,
  name: 'CreateNamespace' | 'Validate' | 'AdoptExisting',
): boolean | undefined {
  for (const option of app.spec.syncPolicy.syncOptions) {
    const [key, value] = option.split('=');
    if (key === name) return value === 'true';
  }
  return undefined;
}
