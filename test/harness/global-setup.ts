import type { TestProject } from 'vitest/node';
import { startControlPlane, type LocalCluster } from './control-plane.ts';
import { startDynamo } from './dynamodb.ts';
import { startMoto } from './moto.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    clusters: LocalCluster[];
    dynamo: { endpoint: string; tableName: string };
    /** moto's endpoint for SQS, EventBridge, Secrets Manager and CloudWatch; empty when skipped. */
    awsEndpoint: string;
  }
}

/**
 * Starts the real servers once per test run: etcd with two API servers
 * (cluster-a, cluster-b) and their controllers, dynalite, and moto. The git server is
 * cheap and in-process, so test files start their own (see git-server.ts).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const log = (message: string): void => console.log(`[harness] ${message}`);
  // DRIFTLESS_SERVERS=dynamo skips the control planes, for quick runs of
  // tests that only need DynamoDB; tests that need a cluster then fail clearly.
  const withKube = process.env.DRIFTLESS_SERVERS !== 'dynamo';
  const [controlPlane, dynamo, moto] = await Promise.all([
    withKube
      ? startControlPlane({ log, keepDir: process.env.DRIFTLESS_KEEP_HARNESS === '1' })
      : undefined,
    startDynamo(),
    withKube ? startMoto() : undefined,
  ]);
  project.provide('clusters', controlPlane?.clusters ?? []);
  project.provide('dynamo', { endpoint: dynamo.endpoint, tableName: dynamo.tableName });
  project.provide('awsEndpoint', moto?.endpoint ?? '');
  return async () => {
    await Promise.all([controlPlane?.stop(), dynamo.stop(), moto?.stop()]);
  };
}
