import { subscribe } from 'node:diagnostics_channel';
import { benchCluster, fleetNames, reconcileFleetApp } from './fleet.ts';
import type { ClientRequest } from 'node:http';
import { engineSettings } from '../shared/engine/settings.ts';
import { mapLimit } from '../shared/util/map-limit.ts';
import { countedTable } from './dynamo-counter.ts';

// One scheduler tick of the fleet (started by cases/tick.ts), in one process:
// `sync` reconciles every app once (as many-apps-worker.ts does), `tick` runs
// each app's scheduled reconcile (runApplication, mode 'auto', a schedule
// trigger, as the reconciler Lambda does) and counts what it sent. Prints JSON.
const input = JSON.parse(process.argv[2]!) as {
  phase: 'sync' | 'tick';
  apps: number;
  concurrency: number;
  repoURL: string;
  namespace: string;
  kubeconfig: string;
  kubeServer: string;
  dynamoEndpoint: string;
  tableName: string;
  cacheDir: string;
};

// Kubernetes requests: every HTTP(S) request this process opens to the API
// server (retries included), seen on Node's http client diagnostics channel.
const kubeHost = new URL(input.kubeServer);
const kube: Record<string, number> = {};
subscribe('http.client.request.start', (message) => {
  const { request } = message as { request: ClientRequest };
  if (request.getHeader('host') !== kubeHost.host) return;
  const key = `${request.method} ${request.path.split('?')[0]!.replace(/\/[^/]+$/, '/…')}`;
  kube[key] = (kube[key] ?? 0) + 1;
});

// DynamoDB: requests by command and the capacity units dynalite reports.
const { table, client, counts: dynamo } = countedTable(input.dynamoEndpoint, input.tableName);
const fleet = {
  table,
  input,
  cluster: benchCluster(input.kubeconfig),
  settings: engineSettings({
    source: { cacheDir: input.cacheDir },
    // What a reconciler records 30 minutes after a sync (the Deployments'
    // status writes) is recorded at once, so the steady state comes in seconds.
    versionRecordAfterMs: 0,
  }),
};
const names = fleetNames(input.apps);
const started = performance.now();
const outcomes = await mapLimit(names, input.concurrency, async (name) => {
  const outcome = await reconcileFleetApp(fleet, name);
  if (input.phase === 'tick')
    return outcome.status === 'skipped'
      ? undefined
      : `${name}: ${outcome.status} ${JSON.stringify(outcome)}`.slice(0, 300);
  if (outcome.status !== 'done') return `${name}: ${outcome.status}`;
  const { status, counts, error } = outcome.result;
  return status === 'Synced' && counts.Created === 4
    ? undefined
    : `${name}: ${status} ${JSON.stringify(counts)} ${error ?? ''}`;
});
const seconds = (performance.now() - started) / 1000;
client.destroy();
const failures = outcomes.filter((o): o is string => o !== undefined);
process.stdout.write(
  `${JSON.stringify({ seconds, kube, dynamo, failures: failures.slice(0, 5), failed: failures.length })}\n`,
);
