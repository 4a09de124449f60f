import { applicationViolations } from './project-permits.ts';
import type { Application } from './application.ts';
import { ConfigError } from './errors.ts';
import { BUILT_IN_DEFAULT_PROJECT, DEFAULT_PROJECT_NAME, type Project } from './project.ts';

interface Definitions {
  applications: Map<string, { app: Application; file: string }>;
  projects: Map<string, { project: Project; file: string }>;
  errors: ConfigError[];
}

/**
 * The project an application runs under: the declared one of its name, or
 * the built-in `default` when none named `default` is declared. Undefined
 * when it names a project nobody declared.
 */
export function projectOf(
  app: Application,
  projects: Map<string, { project: Project }>,
  broken: ReadonlySet<string> = new Set(),
): Project | undefined {
  const name = app.spec.project;
  // A declared default that does not load must not turn into the built-in, which allows everything.
  if (broken.has(name)) return undefined;
  return (
    projects.get(name)?.project ??
    (name === DEFAULT_PROJECT_NAME ? BUILT_IN_DEFAULT_PROJECT : undefined)
  );
}

/** Names of the projects whose files did not load. */
export function brokenProjects(errors: ConfigError[]): Set<string> {
  return new Set(errors.flatMap((e) => (e.subject?.kind === 'Project' ? [e.subject.name] : [])));
}

/**
 * Checks every application against its project and moves those it refuses
 * (unknown or broken project, repository outside sourceRepos, a destination
 * outside the project's) to `errors`, named as their application, so they
 * are registered disabled with the reason.
 */
export function bindProjects(set: Definitions): void {
  const broken = new Map<string, ConfigError>();
  for (const e of set.errors) if (e.subject?.kind === 'Project') broken.set(e.subject.name, e);
  for (const [name, { app, file }] of set.applications) {
    const project = projectOf(app, set.projects, new Set(broken.keys()));
    const wanted = app.spec.project;
    const problems = project
      ? applicationViolations(app, project)
      : [
          broken.has(wanted)
            ? `spec.project: project "${wanted}" cannot be used: ${broken.get(wanted)!.message}`
            : `spec.project: project "${wanted}" is not declared`,
        ];
    if (!problems.length) continue;
    const error = new ConfigError(file, problems);
    error.subject = { kind: 'Application', name };
    set.errors.push(error);
    set.applications.delete(name);
  }
}
