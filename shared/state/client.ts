import {
  DynamoDBClient,
  paginateQuery,
  type AttributeValue,
  type DynamoDBClientConfig,
  type QueryCommandInput,
} from '@aws-sdk/client-dynamodb';
import { translateError, type StateErrorContext } from './errors.ts';

/** Everything a state operation needs: where the table is and what time it is. */
export interface StateTable {
  client: DynamoDBClient;
  tableName: string;
  /** Epoch milliseconds; injectable so tests can move expiry without sleeping. */
  now: () => number;
}

export interface StateTableOptions {
  tableName: string;
  /** An existing client; otherwise one is built by `createDynamoClient`. */
  client?: DynamoDBClient;
  now?: () => number;
}

/**
 * Throttling is retried by the SDK's standard strategy: exponential backoff
 * with full jitter (throttling base 500 ms, doubling, capped at 20 s per wait)
 * and a retry budget shared by the client. Eight attempts wait about 35 s in
 * total on average and at most about 71 s, well inside a Lambda's 15 minutes.
 * Conditional failures are not retryable, so a busy lease is reported on the
 * first answer.
 */
export function createDynamoClient(config: DynamoDBClientConfig = {}): DynamoDBClient {
  return new DynamoDBClient({ retryMode: 'standard', maxAttempts: 8, ...config });
}

export function createStateTable(options: StateTableOptions): StateTable {
  return {
    client: options.client ?? createDynamoClient(),
    tableName: options.tableName,
    now: options.now ?? Date.now,
  };
}

/** Runs one SDK request, turning its errors into typed state errors that name table and app. */
export async function call<T>(
  table: StateTable,
  context: Omit<StateErrorContext, 'table'>,
  request: (client: DynamoDBClient) => Promise<T>,
): Promise<T> {
  try {
    return await request(table.client);
  } catch (err) {
    throw translateError(err, { ...context, table: table.tableName });
  }
}

/** Every item a query matches, page after page, with errors turned into typed state errors as `call` does. */
export async function* queryItems(
  table: StateTable,
  context: Omit<StateErrorContext, 'table'>,
  input: Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey'>,
): AsyncGenerator<Record<string, AttributeValue>> {
  try {
    for await (const page of paginateQuery(
      { client: table.client },
      { ...input, TableName: table.tableName },
    ))
      yield* page.Items ?? [];
  } catch (err) {
    throw translateError(err, { ...context, table: table.tableName });
  }
}

/** `queryItems`, collected. */
export async function queryAll(
  table: StateTable,
  context: Omit<StateErrorContext, 'table'>,
  input: Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey'>,
): Promise<Record<string, AttributeValue>[]> {
  const items: Record<string, AttributeValue>[] = [];
  for await (const item of queryItems(table, context, input)) items.push(item);
  return items;
}
