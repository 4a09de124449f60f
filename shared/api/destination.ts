import type { Application } from '../config/application.ts';
import type { Cluster } from '../config/cluster.ts';
import { chooseDestination, isRollout } from '../config/destinations.ts';
import type { Project } from '../config/project.ts';
import { registeredProject } from '../state/registry.ts';
import { error } from './respond.ts';
import type { ApiResponse, AppRoute } from './types.ts';

/** One destination of an application, as the routes that read a cluster need it. */
export interface ResolvedDestination {
  app: Application;
  cluster: Cluster;
  project: Project;
  /** Where the destination's state, inventory and history are kept. */
  stateKey: string;
}

/**
 * The destination `?destination=CLUSTER` names (or the only one), or the
 * response that says why there is none: a disabled application, a rollout
 * asked without a cluster, a cluster it does not deploy to.
 */
export function resolveDestination({
  req,
  entry,
  name,
}: AppRoute): ResolvedDestination | ApiResponse {
  if (!entry.app) return error(409, `application ${name} is disabled: ${entry.error}`);
  const choice = chooseDestination(
    entry.app,
    req.query?.destination,
    'ask for one with ?destination=CLUSTER',
  );
  if (!choice.ok) return error(400, choice.message);
  const cluster = isRollout(entry.app)
    ? entry.clusters?.find((c) => c.metadata.name === choice.cluster)
    : entry.cluster;
  const project = registeredProject(entry);
  if (!cluster || !project)
    return error(409, `application ${name} is disabled: ${entry.error ?? 'not registered yet'}`);
  return { app: choice.app, cluster, project, stateKey: choice.stateKey };
}
