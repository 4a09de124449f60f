import {
  ConditionalCheckFailedException,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { localDynamoClient } from '../harness/dynamodb.ts';
import { uniqueName } from '../harness/context.ts';

describe('dynalite', () => {
  const { endpoint, tableName } = inject('dynamo');
  const client = localDynamoClient(endpoint);
  afterAll(() => client.destroy());

  it('has the table from the project definition and rejects a second conditional create', async () => {
    const key = { pk: { S: uniqueName('smoke') }, sk: { S: 'item' } };
    const put = () =>
      client.send(
        new PutItemCommand({
          TableName: tableName,
          Item: { ...key, value: { N: '1' } },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    await put();
    await expect(put()).rejects.toBeInstanceOf(ConditionalCheckFailedException);
    const { Item } = await client.send(new GetItemCommand({ TableName: tableName, Key: key }));
    expect(Item?.value).toEqual({ N: '1' });
  });
});
