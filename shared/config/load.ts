import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { z } from 'zod';
import { Application } from './application.ts';
import { Cluster } from './cluster.ts';
import { ConfigError } from './errors.ts';
import { bindProjects } from './project-binding.ts';
import { Project } from './project.ts';

function readDocuments(file: string): unknown[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(file, [
      code === 'ENOENT' ? 'file not found' : `cannot read: ${(err as Error).message}`,
    ]);
  }
  const docs = parseAllDocuments(text, { prettyErrors: true });
  const problems: string[] = [];
  const values: unknown[] = [];
  for (const doc of Array.isArray(docs) ? docs : [docs]) {
    for (const e of doc.errors) problems.push(`invalid YAML: ${e.message}`);
    const value = doc.toJS() as unknown;
    if (value !== null && value !== undefined) values.push(value);
  }
  if (problems.length) throw new ConfigError(file, problems);
  return values;
}

function parseAs<S extends z.ZodType>(schema: S, file: string, value: unknown): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw ConfigError.fromZod(file, parsed.error);
  return parsed.data;
}

function applicationFrom(file: string, docs: unknown[]): Application {
  if (docs.length !== 1)
    throw new ConfigError(file, [`expected one Application document, found ${docs.length}`]);
  return parseAs(Application, file, docs[0]);
}

/** A relative kubeconfig path is resolved against the declaring file's folder. */
function clusterFrom(file: string, docs: unknown[]): Cluster {
  if (docs.length !== 1)
    throw new ConfigError(file, [`expected one Cluster document, found ${docs.length}`]);
  const cluster = parseAs(Cluster, file, docs[0]);
  if ('kubeconfig' in cluster.spec)
    cluster.spec.kubeconfig.file = resolve(dirname(file), cluster.spec.kubeconfig.file);
  return cluster;
}

function projectFrom(file: string, docs: unknown[]): Project {
  if (docs.length !== 1)
    throw new ConfigError(file, [`expected one Project document, found ${docs.length}`]);
  return parseAs(Project, file, docs[0]);
}

/** Reads and validates one Application file. */
export function loadApplicationFile(file: string): Application {
  return applicationFrom(file, readDocuments(file));
}

export interface ConfigSet {
  applications: Map<string, { app: Application; file: string }>;
  clusters: Map<string, { cluster: Cluster; file: string }>;
  /** Declared projects; an application's project is resolved with `projectOf` (project-binding.ts). */
  projects: Map<string, { project: Project; file: string }>;
  /** Files that could not be used; the rest of the set still loads. */
  errors: ConfigError[];
}

function yamlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...yamlFiles(path));
    else if (/\.ya?ml$/.test(entry.name)) out.push(path);
  }
  return out.sort();
}

/** Kind and name of a file's first document, when that much could be read. */
function subjectOf(docs: unknown[] | undefined): ConfigError['subject'] {
  const doc = docs?.[0] as { kind?: unknown; metadata?: { name?: unknown } } | undefined;
  const kind = doc?.kind;
  const name = doc?.metadata?.name;
  if (
    (kind === 'Application' || kind === 'Cluster' || kind === 'Project') &&
    typeof name === 'string' &&
    name
  )
    return { kind, name };
  return undefined;
}

/** One file's definition, added to the set; a second definition of the same name is an error. */
function addDefinition(set: ConfigSet, file: string, shown: string, docs: unknown[]): void {
  const kind = (docs[0] as { kind?: unknown } | undefined)?.kind;
  const add = <T>(
    map: Map<string, T & { file: string }>,
    what: string,
    name: string,
    value: T,
  ): void => {
    const existing = map.get(name);
    if (existing)
      throw new ConfigError(shown, [`${what} "${name}" is also declared in ${existing.file}`]);
    map.set(name, { ...value, file: shown });
  };
  if (kind === 'Application') {
    const app = applicationFrom(file, docs);
    add(set.applications, 'application', app.metadata.name, { app });
  } else if (kind === 'Cluster') {
    const cluster = clusterFrom(file, docs);
    add(set.clusters, 'cluster', cluster.metadata.name, { cluster });
  } else if (kind === 'Project') {
    const project = projectFrom(file, docs);
    add(set.projects, 'project', project.metadata.name, { project });
  } else if (
    (docs[0] as { apiVersion?: unknown } | undefined)?.apiVersion === 'driftless.dev/v1alpha1'
  ) {
    // A misspelled kind must not make a definition vanish (a `default` Project, say).
    throw new ConfigError(shown, [
      `kind must be Application, Cluster or Project; got ${JSON.stringify(kind)}`,
    ]);
  }
}

/**
 * Loads every Application, Cluster and Project in a folder (recursively). A
 * broken file is recorded in `errors` and disables only what it declares (a
 * broken Project: the applications in it); an application its project does
 * not allow (repository, destination) is disabled with the reason.
 */
export function loadConfigDir(dir: string): ConfigSet {
  if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) {
    throw new ConfigError(dir, ['configuration folder not found']);
  }
  const set: ConfigSet = {
    applications: new Map(),
    clusters: new Map(),
    projects: new Map(),
    errors: [],
  };
  for (const file of yamlFiles(dir)) {
    const shown = relative(dir, file) || file;
    // Each file is read and parsed once; the documents also name what a
    // broken definition disables.
    let docs: unknown[] | undefined;
    try {
      docs = readDocuments(file);
      addDefinition(set, file, shown, docs);
    } catch (err) {
      const error =
        err instanceof ConfigError ? err : new ConfigError(shown, [(err as Error).message]);
      const subject = subjectOf(docs);
      if (subject) error.subject = subject;
      set.errors.push(error);
    }
  }
  bindProjects(set);
  return set;
}
