import { runApplication } from '../shared/app-run/run-application.ts';
import type { AppRunOutcome } from '../shared/app-run/types.ts';
import { Application } from '../shared/config/application.ts';
import type { EngineSettings } from '../shared/engine/settings.ts';
import { connectCluster } from '../shared/kube/connect.ts';
import type { StateTable } from '../shared/state/client.ts';

/** The many-apps fleet as the scheduler would register it: app-000 … app-NNN, one folder each. */
export function fleetNames(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `app-${String(i).padStart(3, '0')}`);
}

/** The Cluster every fleet application deploys to. */
export function benchCluster(kubeconfig: string) {
  return {
    apiVersion: 'driftless.dev/v1alpha1' as const,
    kind: 'Cluster' as const,
    metadata: { name: 'bench' },
    spec: { kubeconfig: { file: kubeconfig } },
  };
}

/** One fleet application: automated with prune, no selfHeal, its own folder of the repository. */
export function fleetApp(input: { namespace: string; repoURL: string }, name: string): Application {
  return Application.parse({
    apiVersion: 'driftless.dev/v1alpha1',
    kind: 'Application',
    metadata: { name: `${input.namespace}-${name}` },
    spec: {
      source: { repoURL: input.repoURL, targetRevision: 'main', path: `apps/${name}` },
      destination: { cluster: 'bench', namespace: input.namespace },
      syncPolicy: { automated: { prune: true } },
    },
  });
}

/**
 * One scheduled reconcile of a fleet application, as the reconciler Lambda
 * runs it, without waiting for health (Flux's Kustomization default,
 * wait: false, as in its benchmark).
 */
export function reconcileFleetApp(
  fleet: {
    table: StateTable;
    settings: EngineSettings;
    cluster: ReturnType<typeof benchCluster>;
    input: { namespace: string; repoURL: string };
  },
  name: string,
): Promise<AppRunOutcome> {
  return runApplication({
    table: fleet.table,
    app: fleetApp(fleet.input, name),
    connect: () => connectCluster(fleet.cluster),
    owner: `bench/${name}`,
    trigger: { kind: 'schedule', by: 'bench' },
    mode: 'auto',
    settings: fleet.settings,
    request: { waitForHealth: false },
  });
}
