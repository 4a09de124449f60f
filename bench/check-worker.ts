import { subscribe } from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';
import { runApplication } from '../shared/app-run/run-application.ts';
import type { AppRunOutcome } from '../shared/app-run/types.ts';
import { Application } from '../shared/config/application.ts';
import { engineSettings } from '../shared/engine/settings.ts';
import { connectCluster } from '../shared/kube/connect.ts';
import { countedTable, type CheckMeasurement, type DynamoCounts } from './dynamo-counter.ts';
import { benchCluster } from './fleet.ts';

// One application's scheduled drift checks, as a warm reconciler Lambda
// runs them (started by cases/cost-check.ts): a first sync, checks until
// the controllers' status writes are recorded, then `checks` measured ones,
// each with its wall time, CPU time, Kubernetes requests and DynamoDB units.
// Prints JSON.
const input = JSON.parse(process.argv[2]!) as {
  app: string;
  repoURL: string;
  namespace: string;
  selfHeal: boolean;
  checks: number;
  kubeconfig: string;
  kubeServer: string;
  dynamoEndpoint: string;
  tableName: string;
  cacheDir: string;
};

let kubeRequests = 0;
const kubeHost = new URL(input.kubeServer).host;
subscribe('http.client.request.start', (message) => {
  const { request } = message as { request: ClientRequest };
  if (request.getHeader('host') === kubeHost) kubeRequests++;
});

const { table, client, counts: dynamo } = countedTable(input.dynamoEndpoint, input.tableName);
const app = Application.parse({
  apiVersion: 'driftless.dev/v1alpha1',
  kind: 'Application',
  metadata: { name: input.app },
  spec: {
    source: { repoURL: input.repoURL, targetRevision: 'main', path: 'app' },
    destination: { cluster: 'bench', namespace: input.namespace },
    syncPolicy: { automated: { prune: true, selfHeal: input.selfHeal } },
  },
});
const cluster = benchCluster(input.kubeconfig);
const settings = engineSettings({
  source: { cacheDir: input.cacheDir },
  // What a reconciler records 30 minutes after a sync (the Deployments'
  // status writes) is recorded at once, so the steady state comes in seconds.
  versionRecordAfterMs: 0,
});
const reconcile = (kind: 'webhook' | 'schedule'): Promise<AppRunOutcome> =>
  runApplication({
    table,
    app,
    connect: () => connectCluster(cluster),
    owner: `bench/${input.app}/${kind}/${performance.now()}`,
    trigger: { kind, by: 'bench' },
    mode: 'auto',
    settings,
    request: { waitForHealth: false },
  });

const first = await reconcile('webhook');
if (first.status !== 'done' || first.result.status !== 'Synced')
  throw new Error(`first sync: ${JSON.stringify(first).slice(0, 500)}`);
// Until the Deployments' status writes are recorded, a check has work to do.
const totals = (counts: DynamoCounts, writes: boolean) =>
  Object.entries(counts)
    .filter(([command]) => ['PutItem', 'UpdateItem', 'DeleteItem'].includes(command) === writes)
    .reduce((sum, [, c]) => sum + c.units, 0);
const snapshot = () => ({
  rru: totals(dynamo, false),
  wru: totals(dynamo, true),
  requests: Object.values(dynamo).reduce((sum, c) => sum + c.requests, 0),
  kube: kubeRequests,
});
// The controllers write the Deployments' status for a while after the sync
// (at their own request rate); a check records each such write once. Steady
// state: three checks in a row that write nothing (at most 3 minutes).
const settleBy = performance.now() + 180_000;
for (let quiet = 0; quiet < 3 && performance.now() < settleBy;) {
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const before = snapshot();
  const outcome = await reconcile('schedule');
  quiet = outcome.status === 'skipped' && snapshot().wru === before.wru ? quiet + 1 : 0;
}
const checks: CheckMeasurement[] = [];
for (let i = 0; i < input.checks; i++) {
  const before = snapshot();
  const cpu = process.cpuUsage();
  const started = performance.now();
  const outcome = await reconcile('schedule');
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  if (outcome.status !== 'skipped')
    throw new Error(`check ${i} found work: ${JSON.stringify(outcome).slice(0, 500)}`);
  const after = snapshot();
  checks.push({
    seconds,
    cpuSeconds: (used.user + used.system) / 1e6,
    rru: after.rru - before.rru,
    wru: after.wru - before.wru,
    dynamoRequests: after.requests - before.requests,
    kubeRequests: after.kube - before.kube,
  });
}
client.destroy();
process.stdout.write(`${JSON.stringify({ checks, dynamo })}\n`);
