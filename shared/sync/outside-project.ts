import { objectViolations } from '../project/check-objects.ts';
import type { SyncContext } from './context.ts';
import type { DesiredObject, PrepareProblem } from './prepare.ts';

/**
 * The rendered objects, hooks included, that the application's project does
 * not allow on this cluster: one problem per object, naming every rule it
 * breaks. Checked with the other validations, before anything is read or
 * written, so a sync with any of them applies nothing.
 */
export function outsideProject(ctx: SyncContext, objects: DesiredObject[]): PrepareProblem[] {
  const scope = ctx.project;
  if (!scope) return [];
  const problems: PrepareProblem[] = [];
  for (const d of objects) {
    const found = objectViolations(scope.project, scope.cluster, d.ref);
    if (found.length)
      problems.push({
        ref: d.ref,
        source: d.source,
        message: found.map((v) => v.message).join('; '),
      });
  }
  return problems;
}
