import {
  BatchGetItemCommand,
  GetItemCommand,
  type AttributeValue,
  type BatchGetItemCommandOutput,
} from '@aws-sdk/client-dynamodb';
import * as z from 'zod';
import { appStateSchema, type AppState } from './app-state.ts';
import { jsonAttr, numberAttr, stringAttr } from './attributes.ts';
import { call, type StateTable } from './client.ts';
import { CorruptStateError } from './errors.ts';
import { headKey } from './keys.ts';

/** Who holds (or last held) the lease. Expiry is epoch ms and only meaningful against `now()`. */
export interface LeaseInfo {
  owner: string;
  expiresAt: number;
  acquiredAt: number;
}

/** Where the committed inventory lives; chunks of other generations are invisible. */
export interface InventoryPointer {
  generation: string;
  chunks: number;
  sha256: string;
  entries: number;
  revision: string;
  bytes: number;
  /** inventoryDigest of the entries; absent on inventories written before it was kept. */
  digest?: string;
  /** When it was written (epoch ms, the table's clock); absent on older ones. */
  writtenAt?: number;
}

/** Everything the application's head item says, validated. */
export interface AppRecord {
  app: string;
  /** Fencing token of the latest lease acquisition (0 if never leased). */
  fence: number;
  lease?: LeaseInfo;
  state?: AppState;
  /** Fencing token and time of the last state write. */
  stateWrittenBy?: { token: number; at: number };
  inventory?: InventoryPointer;
  /** Sequence number of the newest committed history entry (0 if none). */
  historySeq: number;
}

const headSchema = z.object({
  fence: numberAttr.optional(),
  leaseOwner: stringAttr.optional(),
  leaseExpiresAt: numberAttr.optional(),
  leaseAcquiredAt: numberAttr.optional(),
  state: jsonAttr(appStateSchema).optional(),
  stateToken: numberAttr.optional(),
  stateUpdatedAt: numberAttr.optional(),
  invGen: stringAttr.optional(),
  invChunks: numberAttr.optional(),
  invSha256: stringAttr.optional(),
  invEntries: numberAttr.optional(),
  invRevision: stringAttr.optional(),
  invBytes: numberAttr.optional(),
  invDigest: stringAttr.optional(),
  invWrittenAt: numberAttr.optional(),
  historySeq: numberAttr.optional(),
});

export function parseHead(
  table: StateTable,
  app: string,
  item: Record<string, AttributeValue>,
): AppRecord {
  const parsed = headSchema.safeParse(item);
  if (!parsed.success)
    throw new CorruptStateError(
      { table: table.tableName, app, operation: 'read state' },
      `head item does not match its schema: ${z.prettifyError(parsed.error)}`,
      parsed.error,
    );
  const h = parsed.data;
  const record: AppRecord = { app, fence: h.fence ?? 0, historySeq: h.historySeq ?? 0 };
  if (h.leaseOwner !== undefined && h.leaseExpiresAt !== undefined)
    record.lease = {
      owner: h.leaseOwner,
      expiresAt: h.leaseExpiresAt,
      acquiredAt: h.leaseAcquiredAt ?? 0,
    };
  if (h.state) record.state = h.state;
  if (h.stateToken !== undefined)
    record.stateWrittenBy = { token: h.stateToken, at: h.stateUpdatedAt ?? 0 };
  if (h.invGen !== undefined)
    record.inventory = {
      generation: h.invGen,
      chunks: h.invChunks ?? 0,
      sha256: h.invSha256 ?? '',
      entries: h.invEntries ?? 0,
      revision: h.invRevision ?? '',
      bytes: h.invBytes ?? 0,
      ...(h.invDigest !== undefined ? { digest: h.invDigest } : {}),
      ...(h.invWrittenAt !== undefined ? { writtenAt: h.invWrittenAt } : {}),
    };
  return record;
}

/** The application's head item, read consistently; undefined when the app was never leased. */
export async function readApp(table: StateTable, app: string): Promise<AppRecord | undefined> {
  const { Item } = await call(table, { app, operation: 'read state' }, (client) =>
    client.send(
      new GetItemCommand({ TableName: table.tableName, Key: headKey(app), ConsistentRead: true }),
    ),
  );
  return Item ? parseHead(table, app, Item) : undefined;
}

/** DynamoDB's limit of keys per BatchGetItem. */
const BATCH_KEYS = 100;

/**
 * The head items of many applications, read consistently 100 per request
 * (the list route reads 500 applications in 5 requests, not 500); an
 * application never leased is absent from the map. Keys DynamoDB leaves
 * unprocessed (throttling) are asked again.
 */
export async function readApps(
  table: StateTable,
  apps: readonly string[],
): Promise<Map<string, AppRecord>> {
  const records = new Map<string, AppRecord>();
  const byPartition = new Map(apps.map((app) => [headKey(app).pk.S!, app]));
  for (let i = 0; i < apps.length; i += BATCH_KEYS) {
    let keys: Record<string, AttributeValue>[] | undefined = apps
      .slice(i, i + BATCH_KEYS)
      .map(headKey);
    while (keys?.length) {
      const request = { [table.tableName]: { Keys: keys, ConsistentRead: true } };
      const answer: BatchGetItemCommandOutput = await call(
        table,
        { app: apps[i]!, operation: 'read states' },
        (client) => client.send(new BatchGetItemCommand({ RequestItems: request })),
      );
      for (const item of answer.Responses?.[table.tableName] ?? []) {
        const app = byPartition.get(item.pk?.S ?? '');
        if (app) records.set(app, parseHead(table, app, item));
      }
      keys = answer.UnprocessedKeys?.[table.tableName]?.Keys;
    }
  }
  return records;
}

/**
 * Whether the sync the state marks as under way may still be running: the
 * lease is live and no run took it since the one that wrote the marker.
 */
export function syncUnderWay(record: AppRecord, now: number): boolean {
  const operation = record.state?.operation;
  if (!operation) return false;
  const token = operation.token ?? record.stateWrittenBy?.token;
  return record.lease !== undefined && record.lease.expiresAt > now && record.fence === token;
}

/**
 * The state as a reader should show it. A marker whose run lost its lease
 * (killed, timed out, released without an outcome) means the sync stopped
 * part-way: objects may run either revision and nobody assessed health, so
 * the stored Synced or Healthy of the sync before would be a lie.
 */
export function shownState(record: AppRecord | undefined, now: number): AppState | undefined {
  const state = record?.state;
  if (!record || !state?.operation || syncUnderWay(record, now)) return state;
  const { revision, startedAt } = state.operation;
  return {
    ...state,
    desiredRevision: revision,
    syncStatus: 'OutOfSync',
    syncReason: 'Interrupted',
    health: 'Unknown',
    error:
      `sync of ${revision} started at ${new Date(startedAt).toISOString()} was interrupted ` +
      'before it recorded an outcome (its run stopped or lost its lease): objects may run ' +
      'either revision; the next sync will converge it',
  };
}
