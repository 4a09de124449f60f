import type { Application } from './application.ts';

export interface Destination {
  cluster: string;
  namespace?: string;
  wave: number;
  alarms?: string[];
}

/** An application with several destinations, rolled out wave by wave. */
export function isRollout(app: Application): boolean {
  return app.spec.destinations !== undefined;
}

/** Every destination, lowest wave first; a single destination is wave 0. */
export function destinationsOf(app: Application): Destination[] {
  const { destination, destinations } = app.spec;
  if (destination) return [{ ...destination, wave: 0 }];
  return [...(destinations ?? [])].sort((a, b) => a.wave - b.wave);
}

/**
 * The one destination the engine works on. A rollout application has none of
 * its own: each of its destinations is reconciled as `forDestination(app, d)`.
 */
export function destinationOf(app: Application): { cluster: string; namespace?: string } {
  if (!app.spec.destination)
    throw new Error(
      `application ${app.metadata.name} has several destinations: reconcile one of them (forDestination)`,
    );
  return app.spec.destination;
}

/**
 * The application as one destination of a rollout sees it: the same name (its
 * objects carry the application's ownership marks and Helm release name, as on
 * any cluster), one destination, and that destination's alarms added to the
 * rollback policy's.
 */
export function forDestination(app: Application, d: Destination): Application {
  const { destinations: _destinations, rollback, ...spec } = app.spec;
  return {
    ...app,
    spec: {
      ...spec,
      destination: { cluster: d.cluster, ...(d.namespace ? { namespace: d.namespace } : {}) },
      ...(rollback
        ? { rollback: { ...rollback, alarms: [...rollback.alarms, ...(d.alarms ?? [])] } }
        : {}),
    },
  };
}

/**
 * Lease, state, inventory and history of one destination of a rollout live
 * under this id, apart from the application's own head item (which holds the
 * rollout record). `@` cannot appear in an application name, so no clash.
 */
export function destinationKey(app: string, cluster: string): string {
  return `${app}@${cluster}`;
}

/** The destination a command or request works on, or why there is none to work on. */
export type DestinationChoice =
  | { ok: true; app: Application; cluster: string; stateKey: string }
  | { ok: false; message: string };

/**
 * One destination of an application, as that destination's reconcile sees
 * it: the only one, or for a rollout the one `wanted` names. `ask` tells the
 * person how to name one (`diff one of them with --destination CLUSTER`).
 */
export function chooseDestination(
  app: Application,
  wanted: string | undefined,
  ask: string,
): DestinationChoice {
  const name = app.metadata.name;
  const clusters = destinationsOf(app).map((d) => d.cluster);
  if (!isRollout(app)) {
    if (wanted !== undefined && wanted !== clusters[0])
      return {
        ok: false,
        message: `application ${name} deploys to cluster "${clusters[0]}" only, not to "${wanted}"`,
      };
    return { ok: true, app, cluster: clusters[0]!, stateKey: name };
  }
  if (wanted === undefined)
    return {
      ok: false,
      message: `application ${name} rolls out to several clusters (${clusters.join(', ')}): ${ask}`,
    };
  const chosen = destinationsOf(app).find((d) => d.cluster === wanted);
  if (!chosen)
    return {
      ok: false,
      message: `application ${name} has no destination on cluster "${wanted}" (its destinations: ${clusters.join(', ')})`,
    };
  return {
    ok: true,
    app: forDestination(app, chosen),
    cluster: chosen.cluster,
    stateKey: destinationKey(name, chosen.cluster),
  };
}
