import { namespacePermitted } from '../config/project-permits.ts';
import { namespacedKindPermitted } from '../project/check-objects.ts';
import type { SyncContext } from './context.ts';
import { findOrphans, type OrphanReport } from './orphans.ts';
import type { PreparedSync } from './plan.ts';

/**
 * Starts the orphan report of a project with `orphanedResources.warn`: the
 * objects in the application's namespaces (its destination namespace and
 * those its objects name, within the project's destinations) that no
 * application declared. It runs beside the sync and never fails it: what
 * could not be listed is named in the report.
 */
export function startOrphanCheck(
  ctx: SyncContext,
  prepared: PreparedSync,
): Promise<OrphanReport> | undefined {
  const scope = ctx.project;
  const rules = scope?.project.spec.orphanedResources;
  if (!scope || !rules?.warn) return undefined;
  const named = prepared.desired.map((d) => d.ref.namespace);
  const namespaces = [...new Set([ctx.namespace, ...named])].filter(
    (n): n is string => n !== undefined && namespacePermitted(scope.project, scope.cluster, n),
  );
  const report = findOrphans(ctx, {
    namespaces: namespaces.sort(),
    declared: prepared.keys,
    ignore: rules.ignore,
    permitted: (group, kind) => namespacedKindPermitted(scope.project, { group, kind }),
  });
  return report.catch((err: unknown): OrphanReport => ({
    objects: [],
    total: 0,
    errors: [`orphaned resources not checked: ${(err as Error).message}`],
  }));
}
