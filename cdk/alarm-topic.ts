import { ArnFormat, Stack, Token, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import type { DriftlessFunction } from './function.ts';

export interface AlarmTopicProps {
  /** @default - a new topic */
  readonly topic?: sns.ITopic;
  /** Addresses to subscribe (each must confirm). */
  readonly emails: string[];
}

/** The topic that alarm state changes go to, with its email subscriptions. */
export function alarmTopic(scope: Construct, props: AlarmTopicProps): sns.ITopic {
  const topic =
    props.topic ??
    // Not KMS-encrypted: it carries alarm state changes, no application data,
    // and CloudWatch cannot publish to a topic under the AWS managed SNS key
    // (a customer managed key costs USD 1/month). Pass alarmTopic for one.
    new sns.Topic(scope, 'AlarmTopic', { displayName: 'Driftless alarms', enforceSSL: true });
  for (const email of props.emails) {
    topic.addSubscription(new subscriptions.EmailSubscription(email));
  }
  return topic;
}

/**
 * Automated rollbacks: the reconciler tells the alarm topic, and reads the
 * alarms a rollback policy names. Those names live in application files,
 * not in this stack, so any alarm of this account and region.
 */
export function grantRollbackAlarms(reconciler: DriftlessFunction, topic: sns.ITopic): void {
  reconciler.function.addEnvironment('ALARM_TOPIC_ARN', topic.topicArn);
  topic.grantPublish(reconciler.role);
  const stack = Stack.of(reconciler);
  reconciler.role.addToPolicy(
    new iam.PolicyStatement({
      actions: ['cloudwatch:DescribeAlarms'],
      resources: [
        stack.formatArn({
          service: 'cloudwatch',
          resource: 'alarm',
          resourceName: '*',
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      ],
    }),
  );
  // cdk-nag names the finding by the resource as synthesized: pseudo parameters, or the stack's own values.
  const region = Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region;
  const account = Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
  Validations.of(reconciler.role).acknowledge({
    id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:cloudwatch:${region}:${account}:alarm:*]`,
    reason:
      'Rollback policies name CloudWatch alarms in application files of the configuration repository, which change without a deployment; the reconciler may only describe (read) alarms, in this account and region.',
  });
}
