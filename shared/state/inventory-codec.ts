import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import * as z from 'zod';
import type { Inventory } from '../sync/inventory.ts';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/**
 * Bytes of compressed inventory per item. DynamoDB caps an item at 400 KB
 * including key and attribute names; this leaves ample room for them.
 */
export const CHUNK_BYTES = 350_000;

export interface EncodedInventory {
  chunks: Buffer[];
  /** SHA-256 (hex) of the whole compressed blob: proves a reader got every chunk of one write. */
  sha256: string;
  bytes: number;
}

export const inventorySchema = z.object({
  revision: z.string(),
  entries: z.array(
    z.object({
      apiVersion: z.string(),
      kind: z.string(),
      namespace: z.string().optional(),
      name: z.string(),
      resourceVersion: z.string().optional(),
      digest: z.string().optional(),
    }),
  ),
}) satisfies z.ZodType<Inventory>;

// Asynchronous zlib keeps the event loop free for lease renewals while a
// large inventory compresses.
export async function encodeInventory(
  inventory: Inventory,
  chunkBytes = CHUNK_BYTES,
): Promise<EncodedInventory> {
  const blob = await gzipAsync(JSON.stringify(inventory));
  const chunks: Buffer[] = [];
  for (let at = 0; at < blob.length; at += chunkBytes)
    chunks.push(blob.subarray(at, at + chunkBytes));
  return { chunks, sha256: sha256(blob), bytes: blob.length };
}

/** Reassembles chunks; undefined when they are not exactly the blob that was written. */
export async function decodeInventory(
  chunks: Uint8Array[],
  expectedSha256: string,
): Promise<Inventory | undefined> {
  const blob = Buffer.concat(chunks);
  if (sha256(blob) !== expectedSha256) return undefined;
  const json: unknown = JSON.parse((await gunzipAsync(blob)).toString('utf8'));
  return inventorySchema.parse(json);
}

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
