import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { ClusterAccess, type DriftlessCluster } from './access.ts';
import type { DriftlessFunction, EntryName } from './function.ts';
import { grantTableAccess } from './table-access.ts';

export interface FunctionPermissionsProps {
  readonly table: dynamodb.ITable;
  readonly queue: sqs.IQueue;
  readonly webhookSecrets: secretsmanager.ISecret;
  readonly eventBus: events.IEventBus;
  readonly credentials?: secretsmanager.ISecret;
  /** The forge tokens' secret (a complete ARN), which only the reconciler reads. */
  readonly forgeCredentialsSecretArn?: string;
  readonly clusters: DriftlessCluster[];
  readonly assumeRoleArns?: string[];
  readonly ecrRepositoryArns?: string[];
  /** Writes go through the projects' roles, so Driftless's own roles get no access entries. */
  readonly projectAccess?: boolean;
}

/**
 * What each function's role may do beyond writing its logs, function by
 * function: only what its code uses (docs/aws.md#iam).
 */
export function grantFunctionPermissions(
  scope: Construct,
  functions: Record<EntryName, DriftlessFunction>,
  props: FunctionPermissionsProps,
): void {
  const { scheduler, webhook, reconciler, api } = functions;
  grantTableAccess(props.table, functions);
  // The reconciler puts requests that met a busy lease back on the queue, delayed (sqs-retry.ts).
  for (const fn of [scheduler, webhook, api, reconciler]) props.queue.grantSendMessages(fn.role);
  if (props.credentials) {
    for (const fn of [scheduler, reconciler, api]) props.credentials.grantRead(fn.role);
  }
  props.webhookSecrets.grantRead(webhook.role);
  if (props.forgeCredentialsSecretArn) {
    // The value only, of exactly this secret (grantRead would add DescribeSecret).
    reconciler.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:GetSecretValue'],
        resources: [props.forgeCredentialsSecretArn],
      }),
    );
  }
  props.eventBus.grantPutEventsTo(reconciler.role);
  new ClusterAccess(scope, 'ClusterAccess', {
    clusters: props.clusters,
    principals: { Reconciler: reconciler.role, Api: api.role },
    accessEntries: !props.projectAccess,
  });
  if (props.ecrRepositoryArns?.length) {
    for (const fn of [reconciler, api]) {
      // GetAuthorizationToken has no resource-level permissions; the pulls do.
      fn.role.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: ['ecr:GetAuthorizationToken'], resources: ['*'] }),
      );
      fn.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: [
            'ecr:BatchGetImage',
            'ecr:GetDownloadUrlForLayer',
            'ecr:DescribeImages',
            'ecr:ListImages',
          ],
          resources: props.ecrRepositoryArns,
        }),
      );
    }
  }
  if (props.assumeRoleArns?.length) {
    const assume = new iam.PolicyStatement({
      actions: ['sts:AssumeRole'],
      resources: props.assumeRoleArns,
    });
    reconciler.role.addToPolicy(assume);
    api.role.addToPolicy(assume);
  }
}
