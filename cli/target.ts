import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Application } from '../shared/config/application.ts';
import { Cluster } from '../shared/config/cluster.ts';
import { chooseDestination, isRollout } from '../shared/config/destinations.ts';
import { ConfigError } from '../shared/config/errors.ts';
import { loadApplicationFile, loadConfigDir } from '../shared/config/load.ts';
import { brokenProjects, projectOf } from '../shared/config/project-binding.ts';
import { applicationViolations } from '../shared/config/project-permits.ts';
import type { Project } from '../shared/config/project.ts';
import { CliError } from './errors.ts';

export interface TargetFlags {
  file?: string | undefined;
  app?: string | undefined;
  config?: string | undefined;
  kubeconfig?: string | undefined;
  context?: string | undefined;
  'eks-cluster'?: string | undefined;
  region?: string | undefined;
  'role-arn'?: string | undefined;
  /** One destination of a rollout application, by cluster name (diff only). */
  destination?: string | undefined;
}

export interface Target {
  /** The application as its one destination sees it. */
  app: Application;
  /** How to reach the application's destination cluster. */
  cluster: Cluster;
  /** The project it runs under: declared in --config, or the built-in default. */
  project: Project;
  /** Where its state lives: the application's name, or one destination's key in a rollout. */
  stateKey: string;
}

function clusterFromFlags(name: string, flags: TargetFlags): Cluster | undefined {
  const meta = {
    apiVersion: 'driftless.dev/v1alpha1' as const,
    kind: 'Cluster' as const,
    metadata: { name },
  };
  if (flags['eks-cluster']) {
    const region = flags.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
    if (!region) throw new CliError('--eks-cluster needs --region (or AWS_REGION)');
    const parsed = Cluster.safeParse({
      ...meta,
      spec: {
        eks: {
          name: flags['eks-cluster'],
          region,
          ...(flags['role-arn'] ? { roleArn: flags['role-arn'] } : {}),
        },
      },
    });
    if (!parsed.success) throw ConfigError.fromZod('command line', parsed.error);
    return parsed.data;
  }
  const file = flags.kubeconfig ?? process.env.KUBECONFIG?.split(':')[0];
  if (flags.kubeconfig || flags.context) {
    const path = resolve(file ?? join(homedir(), '.kube', 'config'));
    if (!existsSync(path)) throw new CliError(`kubeconfig not found: ${path}`);
    return {
      ...meta,
      spec: { kubeconfig: { file: path, ...(flags.context ? { context: flags.context } : {}) } },
    };
  }
  return undefined;
}

function defaultKubeconfig(name: string): Cluster | undefined {
  const file = process.env.KUBECONFIG?.split(':')[0] ?? join(homedir(), '.kube', 'config');
  if (!existsSync(file)) return undefined;
  return {
    apiVersion: 'driftless.dev/v1alpha1',
    kind: 'Cluster',
    metadata: { name },
    spec: { kubeconfig: { file: resolve(file) } },
  };
}

/**
 * The CLI works on one cluster. A rollout is the reconciler's to run, so sync
 * refuses one; diff shows one destination of it, as that destination's
 * reconcile would see it (`--destination`).
 */
function oneDestination(
  app: Application,
  wanted: string | undefined,
): { app: Application; cluster: string; stateKey: string } {
  const choice = chooseDestination(app, wanted, 'diff one of them with --destination CLUSTER');
  if (choice.ok) return choice;
  const note =
    isRollout(app) && wanted === undefined
      ? '; sync works on single-destination applications, and driftless serve and the reconciler run the rollout'
      : '';
  throw new CliError(`${choice.message}${note}`);
}

/**
 * The application to work on (`-f FILE`, or `--app NAME` in `--config DIR`)
 * and how to reach its cluster: `--kubeconfig`/`--context` or `--eks-cluster`
 * first, then the Cluster declared in the config folder, then $KUBECONFIG or
 * ~/.kube/config.
 */
export function resolveTarget(flags: TargetFlags): Target {
  let app: Application;
  if (flags.file && flags.app) throw new CliError('give either -f FILE or --app NAME, not both');
  let clusters: Map<string, { cluster: Cluster }> | undefined;
  let projects: Map<string, { project: Project }> = new Map();
  let brokenNames = new Set<string>();
  if (flags.file) {
    app = loadApplicationFile(resolve(flags.file));
    if (flags.config) {
      const set = loadConfigDir(resolve(flags.config));
      ({ clusters, projects } = set);
      brokenNames = brokenProjects(set.errors);
    }
  } else if (flags.app) {
    if (!flags.config)
      throw new CliError(
        '--app NAME needs --config DIR (the folder with Application and Cluster files)',
      );
    const set = loadConfigDir(resolve(flags.config));
    const broken = set.errors.find(
      (e) => e.subject?.kind === 'Application' && e.subject.name === flags.app,
    );
    if (broken) throw broken;
    const found = set.applications.get(flags.app);
    if (!found) {
      const known = [...set.applications.keys()];
      throw new CliError(
        `no application "${flags.app}" in ${flags.config} (found: ${known.join(', ') || 'none'})`,
      );
    }
    app = found.app;
    clusters = set.clusters;
    projects = set.projects;
    brokenNames = brokenProjects(set.errors);
  } else {
    throw new CliError('which application? Give -f app.yaml, or --app NAME with --config DIR');
  }
  const project = checkedProject(app, projects, brokenNames, flags);
  const chosen = oneDestination(app, flags.destination);
  const clusterName = chosen.cluster;
  const declared = clusters?.get(clusterName)?.cluster;
  const cluster =
    clusterFromFlags(clusterName, flags) ?? declared ?? defaultKubeconfig(clusterName);
  if (!cluster) {
    throw new CliError(
      `no way to reach cluster "${clusterName}": pass --kubeconfig (or --eks-cluster and --region), or declare a Cluster named ${clusterName} in --config`,
    );
  }
  return { app: chosen.app, cluster, project, stateKey: chosen.stateKey };
}

/** The application's project, which must allow its repository and destinations (as registration checks). */
function checkedProject(
  app: Application,
  projects: Map<string, { project: Project }>,
  broken: ReadonlySet<string>,
  flags: TargetFlags,
): Project {
  if (broken.has(app.spec.project))
    throw new ConfigError(flags.file ?? app.metadata.name, [
      `spec.project: project "${app.spec.project}" cannot be used: its file in ${flags.config} is broken`,
    ]);
  const project = projectOf(app, projects, broken);
  const where = flags.file ?? app.metadata.name;
  if (!project)
    throw new ConfigError(where, [
      `spec.project: project "${app.spec.project}" is not declared${flags.config ? ` in ${flags.config}` : ' (give --config DIR, the folder that declares it)'}`,
    ]);
  const problems = applicationViolations(app, project);
  if (problems.length) throw new ConfigError(where, problems);
  return project;
}
