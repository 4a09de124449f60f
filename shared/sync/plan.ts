import { locationOf } from '../render/errors.ts';
import type { RenderedObject } from '../render/types.ts';
import { loadJq } from './jq.ts';
import { checkHooks } from './check-hooks.ts';
import type { SyncContext } from './context.ts';
import { planObjects, type PlannedObject } from './diff.ts';
import { sha256 } from './digest.ts';
import { selectHooks, type Hook, type HookPhase } from './hooks.ts';
import type { Inventory } from './inventory.ts';
import { SecretMasker } from './mask-secrets.ts';
import { plannedResult, staleResult } from './object-results.ts';
import type { SyncObjectsOptions } from './options.ts';
import { prepareObjects, type DesiredObject, type PrepareProblem } from './prepare.ts';
import { refuseDeletingRendered } from './refuse-dependents.ts';
import { outsideProject } from './outside-project.ts';
import type { HookResult, ObjectResult } from './result.ts';
import { findStale, type StaleObject } from './stale.ts';

/** The rendered objects made ready to send, with the hooks split off. */
export interface PreparedSync {
  /** What the sync applies, diffs, prunes and keeps in its inventory. */
  desired: DesiredObject[];
  hooks: Hook[];
  /** Keys of every rendered object: one that became a hook is not stale, as its runs replace it. */
  keys: Set<string>;
  /** Of every rendered object, hooks included: a later run tells by it whether a revision renders the same. */
  manifestDigest: string;
}

/** What a sync will do, all decided before its first write. */
export interface SyncPlan extends PreparedSync {
  /** The inventory the plan starts from (empty for a first sync). */
  previous: Inventory;
  objects: PlannedObject[];
  /** What the previous sync applied that the source no longer has. */
  stale: StaleObject[];
  /** Whether the sync writes anything: hooks belong to a sync that writes, so a no-op runs none. */
  writes: boolean;
}

/** Why a sync stops before its first write, with the objects and hooks to blame. */
export interface Refusal {
  error: string;
  /** Where the sync stopped: `diff` unless said otherwise (`project`: outside the project's rules). */
  phase?: 'project';
  objects: ObjectResult[];
  hooks: HookResult[];
  manifestDigest: string;
}

/** Prepares the rendered objects; any invalid one refuses the whole sync. */
export async function prepareSync(
  ctx: SyncContext,
  rendered: RenderedObject[],
): Promise<PreparedSync | Refusal> {
  const { objects, problems: prepareProblems } = await prepareObjects(ctx, rendered);
  const { main, hooks, problems: hookProblems } = selectHooks(objects);
  const manifestDigest = sha256(
    objects
      .map((d) => `${d.key}=${d.digest}`)
      .sort()
      .join('\n'),
  );
  const problems = [...prepareProblems, ...hookProblems];
  const outside = outsideProject(ctx, objects);
  if (outside.length) return refuseOutside(ctx, outside, problems, manifestDigest);
  if (problems.length) return refuseInvalid(problems, manifestDigest);
  return { desired: main, hooks, keys: new Set(objects.map((d) => d.key)), manifestDigest };
}

/**
 * Plans every object against the cluster (nothing is written), checks the
 * hooks and finds what is stale. `liveVersions`: the desired objects' live
 * resourceVersions, when recalling the inventory listed them already. A failed dry-run, or a source that renders
 * nothing where the application has objects, refuses the sync.
 */
export async function planSync(
  ctx: SyncContext,
  prepared: PreparedSync,
  options: SyncObjectsOptions,
  liveVersions?: Map<string, string>,
): Promise<SyncPlan | Refusal> {
  const previous = options.previous ?? { revision: '', entries: [] };
  // Loaded only for the applications that use jq expressions.
  if (options.ignoreDifferences?.some((r) => r.jqPathExpressions.length > 0)) await loadJq();
  const namespacesCreated = namespacesCreatedBy(ctx, prepared.desired, options.createNamespace);
  const objects = await planObjects(ctx, prepared.desired, previous.entries, {
    masker: new SecretMasker(),
    namespacesCreatedBySync: namespacesCreated,
    ignoreDifferences: options.ignoreDifferences ?? [],
    adoptExisting: options.adoptExisting,
    liveVersions,
  });
  const hookFailures = await checkHooks(ctx, prepared.hooks, namespacesCreated);
  const stale = await findStale(ctx, previous.entries, prepared.keys);
  const refusal =
    refuseFailedDryRuns(prepared, objects, hookFailures) ??
    refuseEmptySource(prepared, stale, options.allowEmpty) ??
    refuseDeletingRendered(stale, prepared.desired, options.prune, prepared.manifestDigest);
  if (refusal) return refusal;
  const writes =
    objects.some((p) => p.action !== 'Unchanged') ||
    (Boolean(options.prune) && stale.some((s) => s.prune));
  return { ...prepared, previous, objects, stale, writes };
}

export function hooksDue(plan: SyncPlan, phase: HookPhase): boolean {
  return plan.writes && plan.hooks.some((h) => h.phases.includes(phase));
}

/** Namespaces this sync creates: a dry-run in one of them cannot find it yet. */
function namespacesCreatedBy(
  ctx: SyncContext,
  desired: DesiredObject[],
  createNamespace: boolean | undefined,
): Set<string> {
  const names = new Set(
    desired
      .filter((d) => d.object.kind === 'Namespace' && d.object.apiVersion === 'v1')
      .map((d) => d.ref.name),
  );
  if (createNamespace && ctx.namespace) names.add(ctx.namespace);
  return names;
}

/** Its own kind of failure (phase `project`), listing the invalid objects as well. */
function refuseOutside(
  ctx: SyncContext,
  outside: PrepareProblem[],
  invalid: PrepareProblem[],
  manifestDigest: string,
): Refusal {
  const also = invalid.length ? ` (and ${invalid.length} invalid)` : '';
  return {
    error: `${outside.length} object(s) are outside project ${ctx.project!.project.metadata.name}${also}; nothing was applied. ${listed(outside.map((p) => p.message))}`,
    phase: 'project',
    objects: [...outside, ...invalid].map((p) => ({
      ref: p.ref,
      action: 'Failed',
      source: p.source,
      message: p.message,
    })),
    hooks: [],
    manifestDigest,
  };
}

/** The first few messages, so an error with hundreds of violations stays readable (objects lists them all). */
function listed(messages: string[], shown = 10): string {
  const more = messages.length - shown;
  return messages.slice(0, shown).join('; ') + (more > 0 ? `; and ${more} more` : '');
}

function refuseInvalid(problems: PrepareProblem[], manifestDigest: string): Refusal {
  const first = problems[0]!;
  return {
    error: `${problems.length} object(s) are invalid; nothing was applied. ${first.message} (${locationOf(first.source)})`,
    objects: problems.map((p) => ({
      ref: p.ref,
      action: 'Failed',
      source: p.source,
      message: p.message,
    })),
    hooks: [],
    manifestDigest,
  };
}

function refuseFailedDryRuns(
  prepared: PreparedSync,
  objects: PlannedObject[],
  hookFailures: Map<Hook, string>,
): Refusal | undefined {
  const failed = objects.filter((p) => p.action === 'Failed');
  if (!failed.length && !hookFailures.size) return undefined;
  const hooks = [...hookFailures].map(([h, message]): HookResult => ({
    ref: h.desired.ref,
    phase: h.phases[0]!,
    status: 'Failed',
    source: h.desired.source,
    message,
    deletePolicies: h.deletePolicies,
  }));
  return {
    // Refused by the server's dry-run, or by ownership (another application's
    // object, an existing one not adopted): either way, before any write.
    error: `${failed.length + hookFailures.size} object(s) cannot be applied; nothing was applied. ${failed[0]?.message ?? hooks[0]!.message}`,
    objects: objects.map(plannedResult),
    hooks,
    manifestDigest: prepared.manifestDigest,
  };
}

/** An empty render more likely means a broken source than an application to delete. */
function refuseEmptySource(
  prepared: PreparedSync,
  stale: StaleObject[],
  allowEmpty: boolean | undefined,
): Refusal | undefined {
  const prunable = stale.filter((s) => s.prune);
  if (prepared.desired.length > 0 || prunable.length === 0 || allowEmpty) return undefined;
  return {
    error: `the source renders no objects, so this sync would delete all ${prunable.length} objects of the application; refused (set syncPolicy.automated.allowEmpty to allow it)`,
    objects: prunable.map((s) => ({
      ...staleResult(s, false),
      action: 'Failed',
      message: 'prune of every object refused',
    })),
    hooks: [],
    manifestDigest: prepared.manifestDigest,
  };
}
