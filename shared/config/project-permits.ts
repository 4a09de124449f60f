import type { Application } from './application.ts';
import { destinationsOf, isRollout } from './destinations.ts';
import type { Project } from './project.ts';
import { globMatch } from '../util/glob.ts';
import { sourcesOf } from './sources.ts';

/**
 * What an application may not do under its project, found from its
 * definition alone (repository and destinations): checked when it is
 * registered, so a refused application is disabled with the reason in
 * `status` and never fetched. Every problem is reported, each naming the
 * field and the rule.
 */
export function applicationViolations(app: Application, project: Project): string[] {
  const name = project.metadata.name;
  const problems: string[] = [];
  for (const [i, { source }] of sourcesOf(app).entries()) {
    const field = app.spec.sources ? `spec.sources[${i}].repoURL` : 'spec.source.repoURL';
    if (!sourcePermitted(project, source.repoURL))
      problems.push(
        `${field}: ${source.repoURL} is not in project ${name}'s sourceRepos (${project.spec.sourceRepos.join(', ')})`,
      );
  }
  for (const [i, d] of destinationsOf(app).entries()) {
    const field = isRollout(app) ? `spec.destinations[${i}]` : 'spec.destination';
    if (!project.spec.destinations.some((p) => globMatch(p.cluster, d.cluster)))
      problems.push(
        `${field}.cluster: cluster ${d.cluster} is not a destination of project ${name}`,
      );
    else if (d.namespace !== undefined && !namespacePermitted(project, d.cluster, d.namespace))
      problems.push(
        `${field}.namespace: namespace ${d.namespace} on cluster ${d.cluster} is not a destination of project ${name}`,
      );
  }
  return problems;
}

/**
 * A trailing `/` or `.git` and the case of scheme and host do not matter, as
 * in Argo CD; scheme, port and path do, so another server on the same host
 * or a plain-HTTP copy of the repository is not the permitted repository.
 */
export function sourcePermitted(project: Project, repoURL: string): boolean {
  // `*` spans `/`, so `org-a/../org-b` would match `org-a/*`: dot segments are never permitted.
  if (/(^|\/)(\.|%2e){1,2}(\/|$|\?|#)/i.test(repoURL.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '/')))
    return false;
  const url = comparable(repoURL);
  return project.spec.sourceRepos.some((glob) => globMatch(comparable(glob), url));
}

function comparable(url: string): string {
  const trimmed = url.replace(/\/+$/, '').replace(/\.git$/i, '');
  return trimmed.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/]*)/i, (origin) => origin.toLowerCase());
}

export function namespacePermitted(project: Project, cluster: string, namespace: string): boolean {
  return project.spec.destinations.some(
    (p) => globMatch(p.cluster, cluster) && globMatch(p.namespace, namespace),
  );
}
