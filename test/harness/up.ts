import { startControlPlane } from './control-plane.ts';
import { startDynamo } from './dynamodb.ts';

// Brings up the local servers for manual use and prints how to reach them;
// Ctrl-C tears everything down.
const log = (message: string): void => console.log(`[harness] ${message}`);
const keep = process.env.DRIFTLESS_KEEP_HARNESS === '1';
const [controlPlane, dynamo] = await Promise.all([
  startControlPlane({ log, keepDir: keep }),
  startDynamo(),
]);
for (const c of controlPlane.clusters) {
  console.log(`${c.name}: export KUBECONFIG=${c.kubeconfig}`);
  console.log(
    `${c.name} (restricted to namespace ${c.restrictedNamespace}): ${c.restrictedKubeconfig}`,
  );
}
console.log(`DynamoDB (dynalite): ${dynamo.endpoint} table ${dynamo.tableName}`);
if (process.argv.includes('--exit')) {
  await Promise.all([controlPlane.stop(), dynamo.stop()]);
} else {
  console.log('Press Ctrl-C to stop.');
  const shutdown = async (): Promise<void> => {
    await Promise.all([controlPlane.stop(), dynamo.stop()]);
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown());
  process.once('SIGTERM', () => void shutdown());
}
