import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDynamoClient, createStateTable, type StateTable } from '../shared/state/client.ts';

/** Requests and consumed capacity units by DynamoDB command. */
export type DynamoCounts = Record<string, { requests: number; units: number }>;

type Capacity = { CapacityUnits?: number };

/**
 * Counts every request a client sends and the capacity units the server
 * says it consumed (ReturnConsumedCapacity TOTAL is asked for on each).
 */
export function countDynamo(client: DynamoDBClient): DynamoCounts {
  const counts: DynamoCounts = {};
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const params = args.input as Record<string, unknown>;
      if (context.commandName !== 'DescribeTableCommand') params.ReturnConsumedCapacity = 'TOTAL';
      const out = await next(args);
      const consumed = (out.output as { ConsumedCapacity?: Capacity | Capacity[] })
        .ConsumedCapacity;
      const units = [consumed ?? []].flat().reduce((sum, c) => sum + (c.CapacityUnits ?? 0), 0);
      const entry = (counts[context.commandName!.replace(/Command$/, '')] ??= {
        requests: 0,
        units: 0,
      });
      entry.requests++;
      entry.units += units;
      return out;
    },
    { step: 'initialize', name: 'benchCounter' },
  );
  return counts;
}

/** The state table on the bench's local DynamoDB, its client counted. */
export function countedTable(
  endpoint: string,
  tableName: string,
): { table: StateTable; client: DynamoDBClient; counts: DynamoCounts } {
  const client = createDynamoClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const counts = countDynamo(client);
  return { table: createStateTable({ tableName, client }), client, counts };
}

/** What one measured drift check cost (bench/check-worker.ts, cases/cost-check.ts). */
export interface CheckMeasurement {
  seconds: number;
  cpuSeconds: number;
  rru: number;
  wru: number;
  dynamoRequests: number;
  kubeRequests: number;
}
