import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import {
  appPartition,
  deliveryKey,
  REGISTRY_PARTITION,
  WATCH_PARTITION,
} from '../shared/state/keys.ts';
import type { DriftlessFunction, EntryName } from './function.ts';

// Partition keys as shared/state builds them, so the grants follow the key layout.
const REGISTRY = REGISTRY_PARTITION;
const WATCH = WATCH_PARTITION;
const APPS = appPartition('*');
const DELIVERIES = deliveryKey('*', '*').pk.S!;

/** Some actions on the items of some partitions (`dynamodb:LeadingKeys` patterns). */
interface TableAccess {
  readonly partitions: string[];
  readonly actions: string[];
}

/**
 * What each function's code does to the table (functions/*.ts through
 * shared/state), and nothing more. Every read is a GetItem or a Query on a
 * known partition, or (the API's list) a BatchGetItem of application head
 * items, whose every key LeadingKeys checks: no function Scans, which
 * LeadingKeys could not restrict.
 */
const TABLE_ACCESS: Record<EntryName, TableAccess[]> = {
  // Routes pushes by the registry and its watched paths; reads and records
  // the deliveries it enqueued (by body digest).
  webhook: [
    { partitions: [REGISTRY, WATCH], actions: ['dynamodb:Query'] },
    { partitions: [DELIVERIES], actions: ['dynamodb:GetItem', 'dynamodb:PutItem'] },
  ],
  // Owns the registry; drops the watched paths of applications no longer declared.
  scheduler: [
    {
      partitions: [REGISTRY],
      actions: ['dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:DeleteItem'],
    },
    { partitions: [WATCH], actions: ['dynamodb:Query', 'dynamodb:DeleteItem'] },
  ],
  // Leases, state, inventory and history of the applications it syncs, and
  // the paths their renders read (deleted when a render reads none).
  reconciler: [
    { partitions: [REGISTRY], actions: ['dynamodb:Query'] },
    {
      partitions: [WATCH],
      actions: ['dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:DeleteItem'],
    },
    {
      partitions: [APPS],
      actions: [
        'dynamodb:GetItem',
        'dynamodb:Query',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:DeleteItem',
      ],
    },
  ],
  // Reads status (the list: head items 100 per BatchGetItem), history and
  // inventory; suspend and resume take the lease and write state (UpdateItem
  // of the head item). Sync and rollback only enqueue.
  api: [
    { partitions: [REGISTRY, WATCH], actions: ['dynamodb:Query'] },
    {
      partitions: [APPS],
      actions: [
        'dynamodb:GetItem',
        'dynamodb:BatchGetItem',
        'dynamodb:Query',
        'dynamodb:UpdateItem',
      ],
    },
  ],
};

/**
 * Grants by function rather than `table.grantReadWriteData`: each role then
 * reaches only the partitions its code uses (docs/aws.md#iam).
 */
export function grantTableAccess(
  table: dynamodb.ITable,
  functions: Record<EntryName, DriftlessFunction>,
): void {
  for (const [entry, fn] of Object.entries(functions) as [EntryName, DriftlessFunction][]) {
    for (const access of TABLE_ACCESS[entry])
      fn.role.addToPolicy(tableItemStatement(table, access));
  }
}

/**
 * Allows the actions on the table's items whose partition key matches one of
 * the patterns. ForAllValues alone is also true when a request carries no
 * partition key at all (a Scan, say), so the Null check requires one.
 */
function tableItemStatement(table: dynamodb.ITable, access: TableAccess): iam.PolicyStatement {
  return new iam.PolicyStatement({
    actions: access.actions,
    resources: [table.tableArn],
    conditions: {
      'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': access.partitions },
      Null: { 'dynamodb:LeadingKeys': 'false' },
    },
  });
}
