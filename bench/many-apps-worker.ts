import { engineSettings } from '../shared/engine/settings.ts';
import { benchCluster, fleetNames, reconcileFleetApp } from './fleet.ts';
import { mapLimit } from '../shared/util/map-limit.ts';
import { createDynamoClient, createStateTable } from '../shared/state/client.ts';

// The reconciler fleet in one process (started by cases/many-apps.ts): every
// application reconciled as the reconciler Lambda does it (runApplication with
// state, lease and inventory in DynamoDB), 20 at a time, as 20 concurrent
// Lambda invocations would. Prints JSON.
const input = JSON.parse(process.argv[2]!) as {
  apps: number;
  concurrency: number;
  repoURL: string;
  namespace: string;
  kubeconfig: string;
  dynamoEndpoint: string;
  tableName: string;
  cacheDir: string;
};
const client = createDynamoClient({
  endpoint: input.dynamoEndpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
});
const table = createStateTable({ tableName: input.tableName, client });
const fleet = {
  table,
  input,
  cluster: benchCluster(input.kubeconfig),
  settings: engineSettings({ source: { cacheDir: input.cacheDir } }),
};
const names = fleetNames(input.apps);
const started = performance.now();
const outcomes = await mapLimit(names, input.concurrency, async (name) => {
  const outcome = await reconcileFleetApp(fleet, name);
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
  `${JSON.stringify({ seconds, failures: failures.slice(0, 5), failed: failures.length })}\n`,
);
