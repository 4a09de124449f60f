import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import { createTableInput, TTL_ATTRIBUTE } from '../shared/state/table-definition.ts';

export interface StateTableProps {
  /**
   * What happens to the table when the stack is deleted; a retained table also
   * gets deletion protection.
   */
  readonly removalPolicy: RemovalPolicy;
}

/**
 * Driftless's one DynamoDB table, with the keys and TTL attribute of the
 * definition local mode and the tests create (docs/architecture.md#state-in-dynamodb),
 * so the three cannot drift apart.
 */
export class StateTable extends dynamodb.Table {
  constructor(scope: Construct, id: string, props: StateTableProps) {
    const definition = createTableInput('unused');
    const key = (kind: 'HASH' | 'RANGE'): dynamodb.Attribute => {
      const name = definition.KeySchema?.find((k) => k.KeyType === kind)?.AttributeName;
      if (!name) throw new Error(`table definition has no ${kind} key`);
      const type = definition.AttributeDefinitions?.find(
        (a) => a.AttributeName === name,
      )?.AttributeType;
      return {
        name,
        type:
          type === 'N'
            ? dynamodb.AttributeType.NUMBER
            : type === 'B'
              ? dynamodb.AttributeType.BINARY
              : dynamodb.AttributeType.STRING,
      };
    };
    super(scope, id, {
      partitionKey: key('HASH'),
      sortKey: key('RANGE'),
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: TTL_ATTRIBUTE,
      deletionProtection: props.removalPolicy === RemovalPolicy.RETAIN,
      removalPolicy: props.removalPolicy,
    });
  }
}
