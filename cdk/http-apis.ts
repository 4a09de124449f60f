import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

// Two HTTP APIs rather than one, so the public webhook endpoint has its own
// throttling and its own 4xx/5xx metrics, apart from the IAM-signed API. The
// web UI's browser API is a third, for the same reasons and one more: its CORS
// and its JWT authorizer stay off the management API, which is unchanged.

/** Routes of one application family, under `/apps` or a project's `/projects/{project}/apps`. */
function appRoutes(prefix: string): { method: apigwv2.HttpMethod; path: string }[] {
  const { GET, POST } = apigwv2.HttpMethod;
  return [
    { method: GET, path: `${prefix}/apps` },
    { method: GET, path: `${prefix}/apps/{name}` },
    { method: GET, path: `${prefix}/apps/{name}/diff` },
    { method: POST, path: `${prefix}/apps/{name}/sync` },
    { method: GET, path: `${prefix}/apps/{name}/tree` },
    { method: GET, path: `${prefix}/apps/{name}/history` },
    { method: GET, path: `${prefix}/apps/{name}/rollout` },
    { method: POST, path: `${prefix}/apps/{name}/rollback` },
    { method: POST, path: `${prefix}/apps/{name}/suspend` },
    { method: POST, path: `${prefix}/apps/{name}/resume` },
  ];
}

/**
 * Routes of the management API (functions/api.ts), every one IAM-authorized.
 * The project routes serve only that project's applications, so an IAM policy
 * can grant one project's routes and no others (docs/aws.md#projects).
 */
export const API_ROUTES: { method: apigwv2.HttpMethod; path: string }[] = [
  ...appRoutes(''),
  ...appRoutes('/projects/{project}'),
];

/** Routes of the webhook API (functions/webhook.ts): public, verified by signature. */
export const WEBHOOK_ROUTES = ['/webhooks/{provider}', '/webhook'];

/** An HTTP API and the URL of its one stage. */
export interface DriftlessHttpApi {
  readonly api: apigwv2.HttpApi;
  readonly url: string;
}

/** The public endpoint for Git providers' webhooks. */
export function webhookHttpApi(
  scope: Construct,
  handler: lambda.IFunction,
  logRetention: logs.RetentionDays,
): DriftlessHttpApi {
  const api = new apigwv2.HttpApi(scope, 'WebhookApi', {
    description: 'Driftless webhooks from Git providers (signature-verified)',
    createDefaultStage: false,
  });
  const integration = new HttpLambdaIntegration('Webhook', handler);
  for (const path of WEBHOOK_ROUTES) {
    for (const route of api.addRoutes({
      path,
      methods: [apigwv2.HttpMethod.POST],
      integration,
    })) {
      Validations.of(route).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason:
          'Git providers (GitHub, GitLab, Bitbucket, Gitea) cannot sign requests with AWS credentials or fetch tokens. The webhook function authenticates each request itself (HMAC-SHA256 of the raw body, or the GitLab token, compared in constant time) before parsing it, and the stage is throttled.',
      });
    }
  }
  const stage = addStage(api, logRetention, { rateLimit: 20, burstLimit: 50 });
  return { api, url: stage.url };
}

/** The IAM-authorized management endpoint (the CLI's remote mode). */
export function managementHttpApi(
  scope: Construct,
  handler: lambda.IFunction,
  logRetention: logs.RetentionDays,
): DriftlessHttpApi {
  const api = new apigwv2.HttpApi(scope, 'ManagementApi', {
    description: 'Driftless management API (IAM-authorized)',
    createDefaultStage: false,
  });
  const integration = new HttpLambdaIntegration('Api', handler);
  const authorizer = new HttpIamAuthorizer();
  for (const route of API_ROUTES) {
    api.addRoutes({ path: route.path, methods: [route.method], integration, authorizer });
  }
  const stage = addStage(api, logRetention, { rateLimit: 10, burstLimit: 20 });
  return { api, url: stage.url };
}

/** Routes of the browser API: every GET and POST path, all to the API function, which routes them itself. */
export const BROWSER_ROUTE = '/{proxy+}';

export interface BrowserHttpApiProps {
  /** Checks the signed-in user's token on every route (browser-auth.ts). */
  readonly authorizer: apigwv2.IHttpRouteAuthorizer;
  /** The UI's origin, the only one CORS allows. */
  readonly allowedOrigin: string;
}

/**
 * The web UI's endpoint: the management API's routes (and any the API
 * function adds, through one greedy route, so the UI never waits on a route
 * list here) behind a JWT authorizer, with CORS for the UI's origin only. The
 * function serves a browser caller only its groups' projects
 * (shared/api/browser-principal.ts).
 */
export function browserHttpApi(
  scope: Construct,
  handler: lambda.IFunction,
  logRetention: logs.RetentionDays,
  props: BrowserHttpApiProps,
): DriftlessHttpApi {
  const api = new apigwv2.HttpApi(scope, 'BrowserApi', {
    description: 'Driftless browser API for the web UI (OIDC sign-in)',
    createDefaultStage: false,
    corsPreflight: {
      allowOrigins: [props.allowedOrigin],
      allowMethods: [apigwv2.CorsHttpMethod.GET, apigwv2.CorsHttpMethod.POST],
      allowHeaders: ['authorization', 'content-type', 'if-none-match'],
      exposeHeaders: ['etag'],
      maxAge: Duration.hours(1),
    },
  });
  api.addRoutes({
    path: BROWSER_ROUTE,
    methods: [apigwv2.HttpMethod.GET, apigwv2.HttpMethod.POST],
    integration: new HttpLambdaIntegration('BrowserApi', handler),
    authorizer: props.authorizer,
  });
  const stage = addStage(
    api,
    logRetention,
    { rateLimit: 20, burstLimit: 40 },
    '$context.authorizer.claims.sub',
  );
  return { api, url: stage.url };
}

/** The `$default` stage, with access logs (JSON, one line per request, naming the caller) and throttling. */
function addStage(
  api: apigwv2.HttpApi,
  retention: logs.RetentionDays,
  throttle: apigwv2.ThrottleSettings,
  caller = '$context.identity.userArn',
): apigwv2.HttpStage {
  const accessLogs = new logs.LogGroup(api, 'AccessLogs', {
    retention,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  return api.addStage('DefaultStage', {
    stageName: '$default',
    autoDeploy: true,
    throttle,
    accessLogSettings: {
      destination: new apigwv2.LogGroupLogDestination(accessLogs),
      format: apigw.AccessLogFormat.custom(
        JSON.stringify({
          requestId: '$context.requestId',
          ip: '$context.identity.sourceIp',
          caller,
          requestTime: '$context.requestTime',
          routeKey: '$context.routeKey',
          status: '$context.status',
          responseLength: '$context.responseLength',
          latency: '$context.responseLatency',
          integrationError: '$context.integrationErrorMessage',
        }),
      ),
    },
  });
}
