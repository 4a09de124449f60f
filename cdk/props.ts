import type { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { DriftlessCluster } from './access.ts';
import type { NotificationTarget } from './notifications.ts';
import type { DriftlessProject } from './project-roles.ts';

/** The Git repository that declares Driftless's Applications and Clusters. */
export interface ConfigurationRepository {
  /** HTTPS clone URL. */
  readonly url: string;
  /**
   * Branch, tag or commit to follow.
   *
   * @default 'main'
   */
  readonly revision?: string;
  /**
   * Folder inside the repository that holds the configuration.
   *
   * @default '.'
   */
  readonly path?: string;
  /**
   * Secret with Git credentials for private repositories, as JSON
   * `{ "<repo URL prefix>": { "username": "...", "password": "..." } }`. It
   * serves every repository the Applications point at, not only this one.
   *
   * @default - no credentials: public repositories only
   */
  readonly credentials?: secretsmanager.ISecret;
}

/**
 * Your own OIDC provider for browser sign-in, instead of the construct's
 * Cognito user pool (docs/aws.md#ui-hosting-and-browser-sign-in). Register the
 * UI there as a public client (authorization code with PKCE, no secret) with
 * the UI's URL as redirect URI.
 */
export interface DriftlessOidcIssuer {
  /** The issuer URL, exactly as the `iss` claim of its tokens (https). */
  readonly issuer: string;
  /** The UI's client id at the provider. */
  readonly clientId: string;
  /**
   * Accepted `aud` (or `client_id`) values of the tokens the UI sends.
   *
   * @default - [clientId]
   */
  readonly audience?: string[];
  /**
   * The claim that lists the caller's groups.
   *
   * @default 'groups'
   */
  readonly groupsClaim?: string;
  /**
   * Scopes the UI asks for.
   *
   * @default ['openid', 'profile', 'email']
   */
  readonly scopes?: string[];
}

/** The web UI: static assets on S3 behind CloudFront, and a browser API behind an OIDC sign-in. */
export interface DriftlessUi {
  /**
   * The built UI: a folder with `index.html` at its top.
   *
   * @default - `dist/ui` of this repository (`npm run build`)
   */
  readonly assetsPath?: string;
  /**
   * Sign in with your own OIDC provider instead.
   *
   * @default - a new Cognito user pool with a hosted sign-in domain (no self sign-up, MFA required)
   */
  readonly oidc?: DriftlessOidcIssuer;
  /**
   * The Cognito sign-in domain's prefix (`PREFIX.auth.REGION.amazoncognito.com`),
   * unique among all AWS accounts in the region. Unused with `oidc`.
   *
   * @default - the construct's unique id in lowercase, followed by the account id
   */
  readonly cognitoDomainPrefix?: string;
  /**
   * Group names, exactly as the groups claim carries them, to the projects
   * (`spec.project` of the Applications) their members see and act on. A
   * member of several groups gets all their projects. With the construct's
   * user pool, each group named here is created in it.
   *
   * @default - no group sees a project (only `adminGroups` see anything)
   */
  readonly projectsByGroup?: Record<string, string[]>;
  /**
   * Groups whose members see every project, and the applications whose
   * project is unknown (broken definitions).
   *
   * @default - ['driftless-admins'] with the construct's user pool (created in it); none with `oidc`
   */
  readonly adminGroups?: string[];
  /**
   * The Content-Security-Policy header of the UI's responses.
   *
   * @default - same-origin scripts, styles, images and fonts; connections to
   *   the browser API and the sign-in provider; no framing, plugins or base URI
   */
  readonly contentSecurityPolicy?: string;
}

/** Previews of pull requests (docs/aws.md#forge-feedback). */
export interface DriftlessPreviews {
  /**
   * Preview pull requests from forks too. Their authors need no write access
   * to the repository, and a preview renders their manifests.
   *
   * @default false
   */
  readonly forks?: boolean;
}

/** Properties of the Driftless construct: everything but the configuration repository has a default. */
export interface DriftlessProps {
  /** Where the Applications and Clusters are declared. */
  readonly configRepository: ConfigurationRepository;
  /**
   * How often every application is checked for drift and new commits.
   *
   * @default - every 3 minutes
   */
  readonly schedule?: events.Schedule;
  /**
   * Each tick spreads its reconciles over up to this long, so a fleet does not
   * hit Git and the API servers in the same second.
   *
   * @default Duration.seconds(60)
   */
  readonly scheduleJitter?: Duration;
  /**
   * Webhook secrets, as JSON `{ "github": "...", "gitlab": "...", "bitbucket": "...", "gitea": "..." }`
   * (only the providers you use). Requests for a provider without a secret are rejected.
   *
   * @default - a new secret with a generated `github` value; add the others with
   *   `aws secretsmanager put-secret-value`
   */
  readonly webhookSecrets?: secretsmanager.ISecret;
  /**
   * Most reconciler instances running at once (the SQS event source's maximum
   * concurrency). Each handles a batch of up to 5 applications. Between 2 and 1000.
   *
   * @default 20
   */
  readonly reconcileConcurrency?: number;
  /**
   * Deliveries of a reconcile request before it moves to the dead-letter queue.
   *
   * @default 5
   */
  readonly maxReceiveCount?: number;
  /**
   * The reconciler's timeout; the queue's visibility timeout is six times this
   * (AWS guidance for SQS event sources).
   *
   * @default Duration.minutes(15)
   */
  readonly reconcilerTimeout?: Duration;
  /**
   * The reconciler's memory in MiB (CPU scales with it; Helm and Kustomize run in-process).
   *
   * @default 2048
   */
  readonly reconcilerMemorySize?: number;
  /**
   * Topic that alarm state changes (ALARM and OK) are sent to.
   *
   * @default - a new topic
   */
  readonly alarmTopic?: sns.ITopic;
  /**
   * Email addresses subscribed to the alarm topic (each must confirm).
   *
   * @default - no subscriptions
   */
  readonly alarmEmails?: string[];
  /**
   * p95 reconcile duration above which the ReconcileDuration alarm fires.
   *
   * @default Duration.minutes(5)
   */
  readonly reconcileDurationThreshold?: Duration;
  /**
   * EKS clusters in this account and region that Driftless manages: each gets
   * an access entry for the reconciler's and the API's roles, or, with
   * `projects`, one for each project's role instead.
   *
   * @default - none (add clusters here, or grant access yourself)
   */
  readonly clusters?: DriftlessCluster[];
  /**
   * Projects that share the installation (docs/aws.md#projects): each gets an
   * IAM role, with a namespace-scoped access entry on its clusters, that the
   * reconciler and the API assume for its applications. The reconciler's and
   * the API's own roles then get no access entries (a cluster's `accessPolicy`
   * and `namespaces` are unused), so applications of a project not listed here,
   * `default` included, cannot write to these clusters; an empty list leaves
   * Driftless no access at all.
   *
   * @default - no projects: the reconciler and the API write with their own roles
   */
  readonly projects?: DriftlessProject[];
  /**
   * Roles the reconciler and API may assume, for clusters in other accounts
   * (a Cluster's `spec.eks.roleArn`).
   *
   * @default - none
   */
  readonly assumeRoleArns?: string[];
  /**
   * Amazon ECR repositories that Applications pull charts or OCI artifacts
   * from (`oci://ACCOUNT.dkr.ecr.REGION.amazonaws.com/...`): the reconciler and
   * API get `ecr:GetAuthorizationToken` and pull rights on exactly these, and
   * authenticate with their own role, no stored secret.
   *
   * @default - none
   */
  readonly ecrRepositoryArns?: string[];
  /**
   * VPC for the functions that talk to clusters (reconciler and API), for
   * clusters with a private endpoint. The subnets need a route to Git, STS,
   * DynamoDB, SQS, EventBridge and Secrets Manager (NAT or VPC endpoints).
   *
   * @default - not in a VPC (public cluster endpoints)
   */
  readonly vpc?: ec2.IVpc;
  /**
   * @default - the VPC's private subnets
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /**
   * Security groups for those functions; allow them to reach the clusters' endpoints on 443.
   *
   * @default - one new security group with all outbound traffic allowed
   */
  readonly securityGroups?: ec2.ISecurityGroup[];
  /**
   * Event bus for `driftless` events (Sync Succeeded, Sync Failed, Application
   * Degraded, Drift Repaired, Drift Detected, Rollback Performed).
   *
   * @default - the account's default event bus
   */
  readonly eventBus?: events.IEventBus;
  /**
   * Where those events are also sent (docs/notifications.md): Slack, Microsoft
   * Teams or any HTTPS webhook through EventBridge API destinations, or an SNS
   * topic for email and Amazon Q Developer in chat applications; each with
   * its own filter of events, applications and projects.
   *
   * @default - none
   */
  readonly notifications?: NotificationTarget[];
  /**
   * Complete ARN of a Secrets Manager secret with forge tokens, for commit
   * statuses on the commits Driftless syncs and previews of pull requests
   * (docs/aws.md#forge-feedback). The reconciler may read exactly this secret.
   *
   * @default - none: no commit statuses, no previews
   */
  readonly forgeCredentialsSecretArn?: string;
  /**
   * The link of a commit status, with `{app}` where the application's name goes.
   *
   * @default - the web UI's page of the application with `ui`
   *   (`https://UI/#/apps/{app}`), else the management API's route (`API_URL/apps/{app}`)
   */
  readonly appUrl?: string;
  /**
   * Previews of pull requests.
   *
   * @default - previews of the repository's own branches, none of forks
   */
  readonly previews?: DriftlessPreviews;
  /**
   * Lambda layer with `bin/kustomize` and `bin/helm` for arm64.
   *
   * @default - a DriftlessToolsLayer, cross-compiled from Go on the synthesizing machine
   */
  readonly toolsLayer?: lambda.ILayerVersion;
  /**
   * The `service` dimension of the metrics (POWERTOOLS_SERVICE_NAME). Give each
   * installation in one account and region its own, or their metrics merge.
   *
   * @default 'driftless'
   */
  readonly serviceName?: string;
  /**
   * Retention of the functions' and APIs' logs.
   *
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * What happens to the state table when the stack is deleted. It holds sync
   * history and rollback targets, so it is kept (with deletion protection) by default.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly tableRemovalPolicy?: RemovalPolicy;
  /**
   * The web UI (docs/aws.md#ui-hosting-and-browser-sign-in): served from a
   * private bucket through CloudFront, with a browser API whose routes need a
   * signed-in user's token and serve only their groups' projects. The
   * management API keeps IAM auth.
   *
   * @default - no UI
   */
  readonly ui?: DriftlessUi;
}
