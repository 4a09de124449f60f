// The example app: `npx cdk synth` / `npx cdk deploy` with -c key=value
// overrides. Every value has a default, so a bare `cdk synth` works.
import { App, CfnOutput, Stack, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { AwsSolutionsChecks } from 'cdk-nag';
import { Driftless } from './driftless.ts';

const app = new App();
const context = (key: string): string | undefined => {
  const value: unknown = app.node.tryGetContext(key);
  return value === undefined || value === null || value === '' ? undefined : String(value);
};
const list = (key: string): string[] =>
  (context(key) ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

const stack = new Stack(app, context('stackName') ?? 'Driftless', {
  description: 'Driftless: GitOps reconciler for Kubernetes on AWS Lambda',
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});

const credentialsArn = context('gitCredentialsSecretArn');
const scheduleMinutes = context('scheduleMinutes');
const concurrency = context('reconcileConcurrency');
// `-c ui=true` deploys the web UI from the built dist/ui, `-c ui=PATH` from PATH.
const ui = context('ui');
const slackWebhookUrl = context('slackWebhookUrl');
const teamsWebhookUrl = context('teamsWebhookUrl');
const notificationEmails = list('notificationEmails');
const forgeCredentialsSecretArn = context('forgeCredentialsSecretArn');
const appUrl = context('appUrl');
const driftless = new Driftless(stack, 'Driftless', {
  configRepository: {
    url: context('configRepoUrl') ?? 'https://github.com/example/driftless-config.git',
    revision: context('configRepoRevision') ?? 'main',
    path: context('configRepoPath') ?? '.',
    ...(credentialsArn
      ? {
          credentials: secretsmanager.Secret.fromSecretCompleteArn(
            stack,
            'GitCredentials',
            credentialsArn,
          ),
        }
      : {}),
  },
  ...(scheduleMinutes
    ? { schedule: events.Schedule.expression(`rate(${scheduleMinutes} minutes)`) }
    : {}),
  ...(concurrency ? { reconcileConcurrency: Number(concurrency) } : {}),
  alarmEmails: list('alarmEmail'),
  // Clusters in the deployment's account and region, by name.
  clusters: list('clusterNames').map((clusterName) => ({ cluster: { clusterName } })),
  assumeRoleArns: list('assumeRoleArns'),
  ...(ui ? { ui: ui === 'true' ? {} : { assetsPath: ui } } : {}),
  // Each with the default events (Sync Failed, Application Degraded, Rollback Performed, Drift Detected).
  notifications: [
    ...(slackWebhookUrl ? [{ kind: 'slack' as const, webhookUrl: slackWebhookUrl }] : []),
    ...(teamsWebhookUrl ? [{ kind: 'teams' as const, webhookUrl: teamsWebhookUrl }] : []),
    ...(notificationEmails.length ? [{ kind: 'sns' as const, emails: notificationEmails }] : []),
  ],
  ...(forgeCredentialsSecretArn ? { forgeCredentialsSecretArn } : {}),
  ...(appUrl ? { appUrl } : {}),
  previews: { forks: context('previewForks') === 'true' },
});

new CfnOutput(stack, 'WebhookUrl', {
  value: `${driftless.webhookUrl}webhooks/github`,
  description:
    'Payload URL for GitHub (use webhooks/gitlab, webhooks/bitbucket, webhooks/gitea for the others)',
});
new CfnOutput(stack, 'ApiUrl', {
  value: driftless.apiUrl,
  description: 'Management API (IAM SigV4)',
});
if (driftless.webUi) {
  new CfnOutput(stack, 'UiUrl', { value: driftless.webUi.url, description: 'The web UI' });
  new CfnOutput(stack, 'BrowserApiUrl', {
    value: driftless.webUi.browserApiUrl,
    description: 'The web UI API (OIDC sign-in; the UI reads it from /config.json)',
  });
  const users = driftless.webUi.signIn.userPool;
  if (users)
    new CfnOutput(stack, 'UserPoolId', {
      value: users.userPoolId,
      description: 'Cognito user pool of the web UI: add users and groups here',
    });
}
new CfnOutput(stack, 'WebhookSecretsArn', { value: driftless.webhookSecrets.secretArn });
new CfnOutput(stack, 'AlarmTopicArn', { value: driftless.alarmTopic.topicArn });
const [notificationTopic] = driftless.notifications?.topics ?? [];
if (notificationTopic)
  new CfnOutput(stack, 'NotificationTopicArn', {
    value: notificationTopic.topicArn,
    description:
      'Notification topic (email): subscribe it in Amazon Q Developer in chat applications too',
  });
new CfnOutput(stack, 'TableName', { value: driftless.table.tableName });
new CfnOutput(stack, 'DashboardName', { value: driftless.dashboard.dashboard.dashboardName });

// Synth fails on any unsuppressed AwsSolutions finding (each suppression states its reason).
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));

app.synth();
