import type { GroupKind, Project } from '../config/project.ts';
import { describeRef, groupOf, type ObjectRef } from '../kube/object.ts';
import { namespacePermitted } from '../config/project-permits.ts';
import { globMatch } from '../util/glob.ts';

/** One object a project does not allow, and the rule it breaks. */
export interface ProjectViolation {
  ref: ObjectRef;
  /** The project field whose rule refuses it (`destinations`, `clusterResourceWhitelist`, ...). */
  rule: string;
  message: string;
}

/**
 * Why the project refuses an object on `cluster`, if it does: a namespaced
 * object must be in one of the project's destination namespaces and of a
 * permitted kind; a cluster-scoped one must be whitelisted (and a Namespace,
 * named for a destination too). The object's scope is the server's (a
 * namespaced ref carries its namespace after preparation).
 */
export function objectViolations(
  project: Project,
  cluster: string,
  ref: ObjectRef,
): ProjectViolation[] {
  const name = project.metadata.name;
  const { spec } = project;
  const kind = { group: groupOf(ref.apiVersion), kind: ref.kind };
  const shown = `${kind.group || 'core'}/${kind.kind}`;
  const out: ProjectViolation[] = [];
  const refuse = (rule: string, why: string): void => {
    out.push({ ref, rule, message: `${describeRef(ref)}: ${why} (project ${name}, ${rule})` });
  };
  if (ref.namespace !== undefined) {
    if (!namespacePermitted(project, cluster, ref.namespace))
      refuse(
        'destinations',
        `namespace ${ref.namespace} on cluster ${cluster} is not a destination`,
      );
    if (spec.namespaceResourceWhitelist && !listed(spec.namespaceResourceWhitelist, kind))
      refuse('namespaceResourceWhitelist', `kind ${shown} is not whitelisted`);
    if (listed(spec.namespaceResourceBlacklist, kind))
      refuse('namespaceResourceBlacklist', `kind ${shown} is blacklisted`);
    return out;
  }
  if (!listed(spec.clusterResourceWhitelist, kind))
    refuse('clusterResourceWhitelist', `cluster-scoped kind ${shown} is not whitelisted`);
  if (listed(spec.clusterResourceBlacklist, kind))
    refuse('clusterResourceBlacklist', `cluster-scoped kind ${shown} is blacklisted`);
  if (
    kind.group === '' &&
    kind.kind === 'Namespace' &&
    !namespacePermitted(project, cluster, ref.name)
  )
    refuse('destinations', `namespace ${ref.name} on cluster ${cluster} is not a destination`);
  return out;
}

/** Whether the project lets its applications manage a namespaced kind (wherever it may deploy). */
export function namespacedKindPermitted(project: Project, kind: GroupKind): boolean {
  const { namespaceResourceWhitelist: allow, namespaceResourceBlacklist: deny } = project.spec;
  return (!allow || listed(allow, kind)) && !listed(deny, kind);
}

function listed(list: GroupKind[], kind: GroupKind): boolean {
  return list.some((e) => globMatch(e.group, kind.group) && globMatch(e.kind, kind.kind));
}
