import type { AttributeValue } from '@aws-sdk/client-dynamodb';

/**
 * Every key in the table. One partition per application keeps its head
 * item, inventory chunks and history together, so one Query reads any of them;
 * webhook deliveries get a partition each because they are looked up alone.
 * The layout lives here alone, apart from the code that reads and writes it,
 * because cdk/ builds its IAM dynamodb:LeadingKeys conditions from it.
 */
export type Key = Record<'pk' | 'sk', AttributeValue>;

export const HEAD_SK = 'STATE';
export const INVENTORY_PREFIX = 'INV#';
export const HISTORY_PREFIX = 'HIST#';
export const DELIVERY_SK = 'DELIVERY';

/**
 * The registry of applications (registry.ts), written by the scheduler: one
 * partition, so the webhook and `status` list every application with one Query.
 */
export const REGISTRY_PARTITION = 'REGISTRY';
/**
 * Paths an application's render read, written by reconcilers: a partition of
 * its own, so the scheduler's items are never overwritten and readers of the
 * registry (of this version or an older one) see only registry items.
 */
export const WATCH_PARTITION = 'WATCH';

/** Wide enough for any fencing token or history sequence, so keys sort numerically. */
const NUMBER_WIDTH = 12;

export function pad(n: number): string {
  return String(n).padStart(NUMBER_WIDTH, '0');
}

export function appPartition(app: string): string {
  return `APP#${app}`;
}

export function headKey(app: string): Key {
  return { pk: { S: appPartition(app) }, sk: { S: HEAD_SK } };
}

export function inventoryChunkKey(app: string, generation: string, chunk: number): Key {
  return {
    pk: { S: appPartition(app) },
    sk: { S: `${INVENTORY_PREFIX}${generation}#${pad(chunk)}` },
  };
}

export function historyKey(app: string, seq: number): Key {
  return { pk: { S: appPartition(app) }, sk: { S: `${HISTORY_PREFIX}${pad(seq)}` } };
}

export function deliveryKey(provider: string, id: string): Key {
  return { pk: { S: `DELIVERY#${provider}#${id}` }, sk: { S: DELIVERY_SK } };
}
