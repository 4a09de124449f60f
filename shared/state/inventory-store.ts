import { DeleteItemCommand, PutItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { randomBytes } from 'node:crypto';
import * as z from 'zod';
import { mapLimit } from '../util/map-limit.ts';
import { inventoryDigest, type Inventory, type RememberedInventory } from '../sync/inventory.ts';
import { binaryAttr, stringAttr } from './attributes.ts';
import { call, queryItems, type StateTable } from './client.ts';
import { CorruptStateError } from './errors.ts';
import { updateHeadFenced } from './fence.ts';
import { readApp, type AppRecord, type InventoryPointer } from './head.ts';
import { appPartition, INVENTORY_PREFIX, inventoryChunkKey, pad } from './keys.ts';
import type { Lease } from './lease-proof.ts';
import { CHUNK_BYTES, decodeInventory, encodeInventory } from './inventory-codec.ts';

export interface InventoryWrite {
  generation: string;
  chunks: number;
  /** Compressed size. */
  bytes: number;
  /** Chunks of older or abandoned generations removed after the switch. */
  sweptChunks: number;
}

/** Parallel chunk writes; a 10,000-object inventory is a handful of chunks. */
const WRITE_CONCURRENCY = 4;
/** A reader racing writers re-reads the pointer this many times before giving up. */
const READ_ATTEMPTS = 10;

/**
 * Replaces the application's inventory. Chunks go under a new generation
 * first; then one fenced update of the head item switches readers to it, so
 * a reader sees the old or the new inventory and never a mix, and a holder
 * that lost its lease leaves only unreferenced chunks behind. Those, and the
 * previous generation, are deleted after the switch.
 */
export async function writeInventory(
  table: StateTable,
  lease: Lease,
  inventory: Inventory,
  options: { chunkBytes?: number } = {},
): Promise<InventoryWrite> {
  const context = { app: lease.app, operation: 'write inventory' };
  const encoded = await encodeInventory(inventory, options.chunkBytes ?? CHUNK_BYTES);
  // The token prefix lets the sweep tell older generations from a newer holder's.
  const generation = `${pad(lease.token)}-${randomBytes(4).toString('hex')}`;
  const now = String(table.now());

  await mapLimit(encoded.chunks, WRITE_CONCURRENCY, (data, chunk) =>
    call(table, context, (client) =>
      client.send(
        new PutItemCommand({
          TableName: table.tableName,
          Item: {
            ...inventoryChunkKey(lease.app, generation, chunk),
            data: { B: data },
            token: { N: String(lease.token) },
            writtenAt: { N: now },
          },
        }),
      ),
    ),
  );

  await updateHeadFenced(table, lease, context.operation, {
    expression:
      'SET invGen = :gen, invChunks = :chunks, invSha256 = :sha, invEntries = :entries, ' +
      'invRevision = :revision, invBytes = :bytes, invDigest = :digest, invWrittenAt = :now',
    values: {
      ':gen': { S: generation },
      ':chunks': { N: String(encoded.chunks.length) },
      ':sha': { S: encoded.sha256 },
      ':entries': { N: String(inventory.entries.length) },
      ':revision': { S: inventory.revision },
      ':bytes': { N: String(encoded.bytes) },
      ':digest': { S: inventoryDigest(inventory.entries) },
      ':now': { N: now },
    },
  });

  const sweptChunks = await sweep(table, lease, generation);
  return { generation, chunks: encoded.chunks.length, bytes: encoded.bytes, sweptChunks };
}

/**
 * Deletes chunks of every generation except `keep`, up to the caller's own
 * token: a newer holder's chunks, possibly not yet switched to, are not ours
 * to delete.
 */
async function sweep(table: StateTable, lease: Lease, keep: string): Promise<number> {
  const context = { app: lease.app, operation: 'sweep inventory' };
  const stale: Record<string, AttributeValue>[] = [];
  for await (const item of queryChunks(table, context, lease.app, INVENTORY_PREFIX, false)) {
    const sk = stringAttr.parse(item.sk);
    const generation = sk.slice(INVENTORY_PREFIX.length).split('#')[0] ?? '';
    const token = Number(generation.split('-')[0]);
    if (generation !== keep && token <= lease.token) stale.push({ pk: item.pk!, sk: item.sk! });
  }
  await mapLimit(stale, WRITE_CONCURRENCY, (Key) =>
    call(table, context, (client) =>
      client.send(new DeleteItemCommand({ TableName: table.tableName, Key })),
    ),
  );
  return stale.length;
}

/**
 * The application's committed inventory, or undefined if none was written.
 * If the chunks read do not add up to the pointer (a writer switched and swept
 * them meanwhile), the pointer is read again; an unchanged pointer with
 * missing chunks is corruption, never returned as a partial inventory.
 */
export async function readInventory(
  table: StateTable,
  app: string,
): Promise<Inventory | undefined> {
  const context = { table: table.tableName, app, operation: 'read inventory' };
  let failed: string | undefined;
  for (let attempt = 0; attempt < READ_ATTEMPTS; attempt++) {
    const pointer = (await readApp(table, app))?.inventory;
    if (!pointer) return undefined;
    if (pointer.generation === failed)
      throw new CorruptStateError(
        context,
        `inventory generation ${pointer.generation} is incomplete (expected ${pointer.chunks} chunks)`,
      );
    const inventory = await readGeneration(table, app, pointer);
    if (inventory) return inventory;
    failed = pointer.generation;
  }
  throw new CorruptStateError(context, `inventory kept changing during ${READ_ATTEMPTS} reads`);
}

/**
 * The inventory the head item points to, as a drift check needs it: its
 * digest, and a read of the whole only if the live objects do not prove it.
 * Undefined when there is none, or it predates the digest (then read it).
 */
export function rememberedInventory(
  table: StateTable,
  record: AppRecord,
): RememberedInventory | undefined {
  const pointer = record.inventory;
  if (!pointer?.digest) return undefined;
  return {
    revision: pointer.revision,
    digest: pointer.digest,
    // The generation the record names, so inventory and state are of one time;
    // the current one if a writer has swept it since.
    load: async () =>
      (await readGeneration(table, record.app, pointer)) ?? readInventory(table, record.app),
  };
}

async function readGeneration(
  table: StateTable,
  app: string,
  pointer: InventoryPointer,
): Promise<Inventory | undefined> {
  const context = { app, operation: 'read inventory' };
  const chunks: Uint8Array[] = [];
  const prefix = `${INVENTORY_PREFIX}${pointer.generation}#`;
  for await (const item of queryChunks(table, context, app, prefix, true)) {
    if (
      stringAttr.parse(item.sk) !== inventoryChunkKey(app, pointer.generation, chunks.length).sk.S
    )
      return undefined;
    chunks.push(chunkSchema.parse(item).data);
  }
  if (chunks.length !== pointer.chunks) return undefined;
  let inventory: Inventory | undefined;
  try {
    inventory = await decodeInventory(chunks, pointer.sha256);
  } catch (err) {
    throw new CorruptStateError(
      { ...context, table: table.tableName },
      `inventory generation ${pointer.generation} does not decode`,
      err,
    );
  }
  return inventory;
}

const chunkSchema = z.object({ data: binaryAttr });

function queryChunks(
  table: StateTable,
  context: { app: string; operation: string },
  app: string,
  prefix: string,
  withData: boolean,
): AsyncGenerator<Record<string, AttributeValue>> {
  return queryItems(table, context, {
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    ExpressionAttributeValues: { ':pk': { S: appPartition(app) }, ':prefix': { S: prefix } },
    ProjectionExpression: withData ? 'pk, sk, #data' : 'pk, sk',
    ...(withData ? { ExpressionAttributeNames: { '#data': 'data' } } : {}),
    ConsistentRead: true,
  });
}
