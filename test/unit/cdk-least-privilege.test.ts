import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, test } from 'vitest';
import { PROJECT_ROOT } from '../../cdk/function.ts';
import {
  deliveryKey,
  headKey,
  historyKey,
  inventoryChunkKey,
  REGISTRY_PARTITION,
  WATCH_PARTITION,
} from '../../shared/state/keys.ts';
import {
  actions,
  logicalId,
  mainProps,
  resourcesOf,
  statementsOf,
  synth,
  type Statement,
  type Synth,
} from './cdk-synth.ts';

/**
 * Each function's role may touch only the table items its code touches. The
 * assertions read the synthesized policy documents and evaluate their
 * conditions the way IAM does, against keys built by shared/state.
 */

type Role = 'scheduler' | 'webhook' | 'reconciler' | 'api';
const ROLES: Record<Role, string> = {
  scheduler: 'DriftlessSchedulerRole',
  webhook: 'DriftlessWebhookRole',
  reconciler: 'DriftlessReconcilerRole',
  api: 'DriftlessApiRole',
};

/** Partition keys the code writes, several per kind, so a pattern that is too narrow shows. */
type Kind = 'registry' | 'watch' | 'app' | 'delivery';
const KEYS: Record<Kind, string[]> = {
  registry: [REGISTRY_PARTITION],
  watch: [WATCH_PARTITION],
  app: [
    headKey('shop').pk.S!,
    inventoryChunkKey('shop', '000000000007-ab12cd34', 0).pk.S!,
    historyKey('shop', 3).pk.S!,
    // A rollout destination's state (destinationKey: app@cluster).
    headKey('shop@prod').pk.S!,
  ],
  delivery: [deliveryKey('github', '4f1c7a10-2b3e').pk.S!, deliveryKey('gitlab', '17').pk.S!],
};

const WRITES = [
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
];
const READS = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:Scan'];

/** What each function's code does, by partition (see the TABLE_ACCESS notes in cdk/table-access.ts). */
const USES: Record<Role, Partial<Record<Kind, string[]>>> = {
  webhook: {
    registry: ['dynamodb:Query'],
    watch: ['dynamodb:Query'],
    delivery: ['dynamodb:GetItem', 'dynamodb:PutItem'],
  },
  scheduler: {
    registry: ['dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:DeleteItem'],
    watch: ['dynamodb:Query', 'dynamodb:DeleteItem'],
  },
  reconciler: {
    registry: ['dynamodb:Query'],
    watch: ['dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:DeleteItem'],
    app: [
      'dynamodb:GetItem',
      'dynamodb:Query',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
    ],
  },
  api: {
    registry: ['dynamodb:Query'],
    watch: ['dynamodb:Query'],
    app: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
  },
};

const isTableStatement = (s: Statement): boolean =>
  actions(s).some((a) => a.startsWith('dynamodb:'));

const tableArn = (template: Template) => ({
  'Fn::GetAtt': [logicalId(template, 'AWS::DynamoDB::Table', 'DriftlessTable'), 'Arn'],
});

/** Table statements, in any policy of the template, that are not restricted to partitions. */
function unrestricted(template: Template): string[] {
  return Object.entries(resourcesOf(template, 'AWS::IAM::Policy')).flatMap(([id, policy]) =>
    (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement.filter(
      (s) =>
        isTableStatement(s) &&
        !(
          Array.isArray(s.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys']) &&
          s.Condition?.Null?.['dynamodb:LeadingKeys'] === 'false'
        ),
    ).map((s) => `${id}: ${actions(s).join(', ')}`),
  );
}

/** IAM's StringLike: `*` is any run of characters, `?` one character, everything else literal. */
function like(pattern: string, value: string): boolean {
  const regexp = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${regexp}$`, 's').test(value);
}

/**
 * Whether the statements allow a request of `action` on the table whose
 * partition keys (dynamodb:LeadingKeys) are `keys`; none for a Scan. Only the
 * operators the construct uses are understood: anything else fails the test.
 */
function allows(template: Template, role: Role, action: string, keys: string[]): boolean {
  const table = JSON.stringify(tableArn(template));
  return statementsOf(template, ROLES[role]).some((s) => {
    if (s.Effect !== 'Allow' || !actions(s).includes(action)) return false;
    const resources = Array.isArray(s.Resource) ? s.Resource : [s.Resource];
    if (!resources.some((r) => JSON.stringify(r) === table)) return false;
    return Object.entries(s.Condition ?? {}).every(([operator, block]) => {
      const value = block['dynamodb:LeadingKeys'];
      expect(Object.keys(block), `${operator} in ${role}'s statement`).toEqual([
        'dynamodb:LeadingKeys',
      ]);
      if (operator === 'ForAllValues:StringLike') {
        const patterns = Array.isArray(value) ? (value as string[]) : [value as string];
        return keys.every((k) => patterns.some((p) => like(p, k)));
      }
      if (operator === 'Null') return (value === 'true') === (keys.length === 0);
      throw new Error(`${role}: condition operator ${operator} is not evaluated by this test`);
    });
  });
}

describe('table access per function (dynamodb:LeadingKeys)', () => {
  let main: Synth;

  beforeAll(() => {
    main = synth(mainProps);
  });

  test.each<[Role, { actions: string[]; partitions: string[] }[]]>([
    [
      'webhook',
      [
        { actions: ['dynamodb:GetItem', 'dynamodb:PutItem'], partitions: ['DELIVERY#*#*'] },
        { actions: ['dynamodb:Query'], partitions: ['REGISTRY', 'WATCH'] },
      ],
    ],
    [
      'scheduler',
      [
        {
          actions: ['dynamodb:DeleteItem', 'dynamodb:PutItem', 'dynamodb:Query'],
          partitions: ['REGISTRY'],
        },
        { actions: ['dynamodb:DeleteItem', 'dynamodb:Query'], partitions: ['WATCH'] },
      ],
    ],
    [
      'reconciler',
      [
        {
          actions: [
            'dynamodb:DeleteItem',
            'dynamodb:GetItem',
            'dynamodb:PutItem',
            'dynamodb:Query',
            'dynamodb:UpdateItem',
          ],
          partitions: ['APP#*'],
        },
        {
          actions: ['dynamodb:DeleteItem', 'dynamodb:PutItem', 'dynamodb:Query'],
          partitions: ['WATCH'],
        },
        { actions: ['dynamodb:Query'], partitions: ['REGISTRY'] },
      ],
    ],
    [
      'api',
      [
        {
          actions: [
            'dynamodb:BatchGetItem',
            'dynamodb:GetItem',
            'dynamodb:Query',
            'dynamodb:UpdateItem',
          ],
          partitions: ['APP#*'],
        },
        { actions: ['dynamodb:Query'], partitions: ['REGISTRY', 'WATCH'] },
      ],
    ],
  ])('%s: exactly these actions on these partitions', (role, expected) => {
    const grants = statementsOf(main.template, ROLES[role])
      .filter(isTableStatement)
      .map((s) => {
        const patterns = s.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys'];
        return {
          actions: [...actions(s)].sort(),
          partitions: [...(Array.isArray(patterns) ? patterns : [patterns])].sort(),
        };
      })
      .sort((a, b) => a.actions.join().localeCompare(b.actions.join()));
    expect(grants).toEqual(expected);
  });

  test('every table statement is on the table itself and requires partition keys matching its patterns', () => {
    expect(unrestricted(main.template)).toEqual([]);
    let count = 0;
    for (const role of Object.keys(ROLES) as Role[]) {
      for (const s of statementsOf(main.template, ROLES[role]).filter(isTableStatement)) {
        count++;
        expect(s.Resource, role).toEqual(tableArn(main.template));
        expect(Object.keys(s.Condition ?? {}).sort(), role).toEqual([
          'ForAllValues:StringLike',
          'Null',
        ]);
      }
    }
    expect(count).toBe(9);
  });

  test.each(Object.keys(USES) as Role[])(
    '%s: allowed exactly what its code does, on the keys shared/state builds',
    (role) => {
      for (const kind of Object.keys(KEYS) as Kind[]) {
        for (const key of KEYS[kind]) {
          for (const action of [...READS, ...WRITES, 'dynamodb:ConditionCheckItem']) {
            expect(allows(main.template, role, action, [key]), `${role} ${action} on ${key}`).toBe(
              USES[role][kind]?.includes(action) ?? false,
            );
          }
        }
      }
    },
  );

  test('the webhook cannot write application, registry or watch items', () => {
    for (const key of [...KEYS.app, ...KEYS.registry, ...KEYS.watch]) {
      for (const action of WRITES)
        expect(allows(main.template, 'webhook', action, [key])).toBe(false);
    }
  });

  test('the scheduler cannot write application or delivery items', () => {
    for (const key of [...KEYS.app, ...KEYS.delivery]) {
      for (const action of WRITES)
        expect(allows(main.template, 'scheduler', action, [key])).toBe(false);
    }
  });

  test('the reconciler cannot write registry or delivery items', () => {
    for (const key of [...KEYS.registry, ...KEYS.delivery]) {
      for (const action of WRITES)
        expect(allows(main.template, 'reconciler', action, [key])).toBe(false);
    }
  });

  test('the api cannot write delivery, registry or watch items, nor put or delete application items', () => {
    for (const key of [...KEYS.delivery, ...KEYS.registry, ...KEYS.watch]) {
      for (const action of WRITES) expect(allows(main.template, 'api', action, [key])).toBe(false);
    }
    for (const key of KEYS.app) {
      for (const action of ['dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'])
        expect(allows(main.template, 'api', action, [key])).toBe(false);
    }
  });

  test('no role may Scan, nor mix a partition it may use with one it may not', () => {
    for (const role of Object.keys(ROLES) as Role[]) {
      // A request without partition keys: ForAllValues alone would let it through.
      for (const action of [...READS, ...WRITES])
        expect(allows(main.template, role, action, [])).toBe(false);
    }
    expect(allows(main.template, 'api', 'dynamodb:Query', [REGISTRY_PARTITION])).toBe(true);
    expect(
      allows(main.template, 'api', 'dynamodb:Query', [REGISTRY_PARTITION, KEYS.delivery[0]!]),
    ).toBe(false);
  });

  test('the checks above catch a table grant without partition conditions', () => {
    // Guards them against passing vacuously.
    const { template } = synth(mainProps, {
      extend: (_stack, driftless) => driftless.table.grantReadData(driftless.webhook),
    });
    expect(unrestricted(template).join('\n')).toMatch(
      /^DriftlessWebhookRoleDefaultPolicy.*dynamodb:Scan/m,
    );
    expect(allows(template, 'webhook', 'dynamodb:Scan', [])).toBe(true);
    expect(allows(template, 'webhook', 'dynamodb:GetItem', [KEYS.app[0]!])).toBe(true);
  });

  test('the functions send only the DynamoDB requests granted: no Scan, batch write, transaction or PartiQL', () => {
    // The grants above cover GetItem, BatchGetItem (the API's list of head
    // items), Query, PutItem, UpdateItem and DeleteItem;
    // a new kind of request in shared/ or functions/ must be granted (and
    // restricted) here first. ensure-table.ts is local mode's (cli/) alone.
    const sources = (dir: string): string[] =>
      readdirSync(join(PROJECT_ROOT, dir), { recursive: true, encoding: 'utf8' })
        .filter((f) => f.endsWith('.ts'))
        .map((f) => join(dir, f));
    const used = new Set<string>();
    for (const file of [...sources('shared'), ...sources('functions')]) {
      const text = readFileSync(join(PROJECT_ROOT, file), 'utf8');
      if (file.endsWith('ensure-table.ts')) continue;
      expect(text, file).not.toMatch(/ensure-table\.ts'/);
      for (const [, names] of text.matchAll(
        /import\s*\{([^}]*)\}\s*from\s*'@aws-sdk\/client-dynamodb'/g,
      )) {
        for (const name of names!.split(',').map((n) => n.trim())) {
          if (name && !name.startsWith('type ')) used.add(name);
        }
      }
    }
    expect([...used].filter((n) => /Command$|^paginate/.test(n)).sort()).toEqual([
      'BatchGetItemCommand',
      'DeleteItemCommand',
      'GetItemCommand',
      'PutItemCommand',
      'UpdateItemCommand',
      'paginateQuery',
    ]);
  });
});
