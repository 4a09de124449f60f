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
