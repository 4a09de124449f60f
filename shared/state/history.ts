import {
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import * as z from 'zod';
import { SyncTrigger } from '../config/run-trigger.ts';
import { syncSummarySchema, type SyncSummary } from './app-state.ts';
import { jsonAttr, numberAttr, stringAttr } from './attributes.ts';
import { call, queryAll, type StateTable } from './client.ts';
import { CorruptStateError, isConditionalFailure, LeaseLostError, StateError } from './errors.ts';
import { fenced } from './fence.ts';
import { readApp } from './head.ts';
import { appPartition, headKey, HISTORY_PREFIX, historyKey, pad } from './keys.ts';
import type { Lease } from './lease-proof.ts';

/** Entries kept per application; older ones are deleted as new ones land. */
export const HISTORY_LIMIT = 50;

export type JsonValue =
  string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export interface SyncSource {
  repoURL: string;
  path: string;
  /** The branch or tag the revision was resolved from. */
  targetRevision?: string;
}

/** One sync, with everything needed to re-sync exactly the same manifests later. */
export type { SyncTrigger };

/** A hook the sync ran (PreSync, PostSync or SyncFail) and how it ended; what the UI shows of the last sync. */
export interface HistoryHook {
  ref: { apiVersion: string; kind: string; namespace?: string; name: string };
  phase: string;
  status: 'Succeeded' | 'Failed' | 'WouldRun';
  message?: string;
}

export interface HistoryEntry {
  revision: string;
  source: SyncSource;
  /** Render options as the renderer took them; stored and returned unchanged. */
  renderOptions: JsonValue;
  manifestDigest: string;
  result: SyncSummary;
  trigger: SyncTrigger;
  /** The hooks it ran, in order; absent when it ran none (and in entries written before hooks were kept). */
  hooks?: HistoryHook[];
  startedAt: number;
  finishedAt: number;
}

export interface HistoryRecord extends HistoryEntry {
  seq: number;
  /** Fencing token and owner of the lease the sync ran under. */
  token: number;
  owner: string;
}

const historyEntrySchema = z.object({
  revision: z.string(),
  source: z.object({
    repoURL: z.string(),
    path: z.string(),
    targetRevision: z.string().optional(),
  }),
  renderOptions: z.json(),
  manifestDigest: z.string(),
  result: syncSummarySchema,
  trigger: SyncTrigger,
  hooks: z
    .array(
      z.object({
        ref: z.object({
          apiVersion: z.string(),
          kind: z.string(),
          namespace: z.string().optional(),
          name: z.string(),
        }),
        phase: z.string(),
        status: z.enum(['Succeeded', 'Failed', 'WouldRun']),
        message: z.string().optional(),
      }),
    )
    .optional(),
  startedAt: z.number(),
  finishedAt: z.number(),
}) satisfies z.ZodType<HistoryEntry>;

const historyItemSchema = z.object({
  seq: numberAttr,
  token: numberAttr,
  owner: stringAttr,
  entry: jsonAttr(historyEntrySchema),
});

/**
 * Records one sync and returns its sequence number. The entry is written
 * first, under the next number, and becomes visible only when a fenced update
 * of the head item commits that number; a holder that lost its lease leaves at
 * most an uncommitted entry that readers ignore and the next holder
 * overwrites. Entries beyond the newest `HISTORY_LIMIT` are then deleted.
 * One holder appends one entry at a time.
 */
export async function appendHistory(
  table: StateTable,
  lease: Lease,
  entry: HistoryEntry,
): Promise<number> {
  const context = { app: lease.app, operation: 'append history' };
  const valid = historyEntrySchema.parse(entry);
  const previous = (await readApp(table, lease.app))?.historySeq ?? 0;
  const seq = previous + 1;
  try {
    await call(table, context, (client) =>
      client.send(
        new PutItemCommand({
          TableName: table.tableName,
          Item: {
            ...historyKey(lease.app, seq),
            seq: { N: String(seq) },
            token: { N: String(lease.token) },
            owner: { S: lease.owner },
            entry: { S: JSON.stringify(valid) },
          },
          // An older holder must not overwrite this slot; a newer one may
          // reuse a slot that an older holder wrote but never committed.
          ConditionExpression: 'attribute_not_exists(pk) OR #token <= :token',
          ExpressionAttributeNames: { '#token': 'token' },
          ExpressionAttributeValues: { ':token': { N: String(lease.token) } },
        }),
      ),
    );
    const fence = fenced(lease);
    await call(table, context, (client) =>
      client.send(
        new UpdateItemCommand({
          TableName: table.tableName,
          Key: headKey(lease.app),
          UpdateExpression: 'SET historySeq = :seq',
          ConditionExpression: `${fence.condition} AND ${
            previous === 0 ? 'attribute_not_exists(historySeq)' : 'historySeq = :previous'
          }`,
          ExpressionAttributeNames: fence.names,
          ExpressionAttributeValues: {
            ...fence.values,
            ':seq': { N: String(seq) },
            ...(previous === 0 ? {} : { ':previous': { N: String(previous) } }),
          },
        }),
      ),
    );
  } catch (err) {
    if (!isConditionalFailure(err)) throw err;
    const current = await readApp(table, lease.app);
    if (current?.fence !== lease.token || current.lease?.owner !== lease.owner)
      throw new LeaseLostError({ ...context, table: table.tableName });
    throw new StateError(
      'CONFLICT',
      { ...context, table: table.tableName },
      `history entry ${seq} was appended concurrently under the same lease`,
    );
  }
  await trim(table, lease.app, seq);
  return seq;
}

async function trim(table: StateTable, app: string, newest: number): Promise<void> {
  const last = newest - HISTORY_LIMIT;
  if (last < 1) return;
  const context = { app, operation: 'trim history' };
  const keys = await queryHistory(table, context, app, 1, last, 'pk, sk');
  await Promise.all(
    keys.map((item) =>
      call(table, context, (client) =>
        client.send(
          new DeleteItemCommand({
            TableName: table.tableName,
            Key: { pk: item.pk!, sk: item.sk! },
          }),
        ),
      ),
    ),
  );
}

/** Committed history, newest first. */
export async function listHistory(
  table: StateTable,
  app: string,
  options: { limit?: number } = {},
): Promise<HistoryRecord[]> {
  const newest = (await readApp(table, app))?.historySeq ?? 0;
  if (newest === 0) return [];
  const limit = Math.min(options.limit ?? HISTORY_LIMIT, HISTORY_LIMIT);
  const oldest = Math.max(1, newest - limit + 1);
  const context = { app, operation: 'list history' };
  const items = await queryHistory(table, context, app, oldest, newest);
  return items.reverse().map((item) => parseRecord(table, app, item));
}

/** One committed entry, e.g. the one a rollback re-syncs; undefined if trimmed or never committed. */
export async function getHistoryEntry(
  table: StateTable,
  app: string,
  seq: number,
): Promise<HistoryRecord | undefined> {
  const newest = (await readApp(table, app))?.historySeq ?? 0;
  if (seq < 1 || seq > newest) return undefined;
  const { Item } = await call(table, { app, operation: 'read history' }, (client) =>
    client.send(
      new GetItemCommand({
        TableName: table.tableName,
        Key: historyKey(app, seq),
        ConsistentRead: true,
      }),
    ),
  );
  return Item ? parseRecord(table, app, Item) : undefined;
}

function parseRecord(
  table: StateTable,
  app: string,
  item: Record<string, AttributeValue>,
): HistoryRecord {
  const parsed = historyItemSchema.safeParse(item);
  if (!parsed.success)
    throw new CorruptStateError(
      { table: table.tableName, app, operation: 'read history' },
      `history item ${item.sk?.S ?? '?'} does not match its schema: ${z.prettifyError(parsed.error)}`,
      parsed.error,
    );
  const { seq, token, owner, entry } = parsed.data;
  return { ...entry, seq, token, owner };
}

async function queryHistory(
  table: StateTable,
  context: { app: string; operation: string },
  app: string,
  from: number,
  to: number,
  projection?: string,
): Promise<Record<string, AttributeValue>[]> {
  return queryAll(table, context, {
    KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
    ExpressionAttributeValues: {
      ':pk': { S: appPartition(app) },
      ':from': { S: `${HISTORY_PREFIX}${pad(from)}` },
      ':to': { S: `${HISTORY_PREFIX}${pad(to)}` },
    },
    ProjectionExpression: projection,
    ConsistentRead: true,
  });
}
