import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type {
  APIGatewayProxyEventV2WithIAMAuthorizer,
  APIGatewayProxyEventV2WithJWTAuthorizer,
  APIGatewayProxyResultV2,
  Context,
} from 'aws-lambda';
import {
  BROWSER_ACCESS_ENV,
  readBrowserAccess,
  requestPrincipal,
} from '../shared/api/browser-principal.ts';
import { handleApi, type ApiDeps } from '../shared/api/handle-api.ts';
import { connectCluster } from '../shared/kube/connect.ts';
import { dryRunDiff } from '../shared/api/dry-run-diff.ts';
import { liveObjects } from '../shared/api/live-objects.ts';
import { functionProjectRoles } from '../shared/runtime/project-roles.ts';
import { SqsReconcileQueue } from '../shared/queue/sqs-queue.ts';
import { readEnv } from '../shared/runtime/env.ts';
import { functionSettings } from '../shared/runtime/function-settings.ts';
import { gitAuth } from '../shared/runtime/git-auth.ts';
import { powertools } from '../shared/runtime/powertools.ts';
import { SecretCache } from '../shared/secrets/secret-cache.ts';
import { createDynamoClient, createStateTable } from '../shared/state/client.ts';

const env = readEnv(['TABLE_NAME', 'QUEUE_URL']);
const { logger, metrics, tracer } = powertools('driftless-api');
const secrets = new SecretCache(tracer.captureAWSv3Client(new SecretsManagerClient({})));
const settings = functionSettings(env, gitAuth(secrets, env.GIT_CREDENTIALS_SECRET_ARN));
const deps: ApiDeps = {
  table: createStateTable({
    tableName: env.TABLE_NAME,
    client: tracer.captureAWSv3Client(createDynamoClient()),
  }),
  queue: new SqsReconcileQueue(tracer.captureAWSv3Client(new SQSClient({})), env.QUEUE_URL!),
  diff: dryRunDiff(settings, connectCluster, functionProjectRoles()),
  liveObjects: liveObjects(connectCluster, functionProjectRoles()),
};
const browserAccess = readBrowserAccess(process.env[BROWSER_ACCESS_ENV]);

type ApiEvent = APIGatewayProxyEventV2WithIAMAuthorizer | APIGatewayProxyEventV2WithJWTAuthorizer;

/** HTTP APIs (IAM or JWT) → the API routes; errors become JSON with a message, never a stack. */
async function api(event: ApiEvent, context: Context): Promise<APIGatewayProxyResultV2> {
  const { caller, allowedProjects } = requestPrincipal(
    event.requestContext.authorizer,
    browserAccess,
  );
  try {
    const response = await handleApi(
      {
        method: event.requestContext.http.method,
        path: event.rawPath,
        ...(event.queryStringParameters ? { query: event.queryStringParameters } : {}),
        ...(event.body
          ? {
              body: event.isBase64Encoded
                ? Buffer.from(event.body, 'base64').toString('utf8')
                : event.body,
            }
          : {}),
        caller,
        requestId: context.awsRequestId,
        ...(event.headers['if-none-match'] ? { ifNoneMatch: event.headers['if-none-match'] } : {}),
      },
      allowedProjects ? { ...deps, allowedProjects } : deps,
    );
    logger.info('api request', {
      method: event.requestContext.http.method,
      path: event.rawPath,
      caller,
      statusCode: response.statusCode,
    });
    return {
      statusCode: response.statusCode,
      headers: { 'content-type': 'application/json', ...response.headers },
      body: response.statusCode === 304 ? '' : JSON.stringify(response.body),
    };
  } catch (err) {
    logger.error('api request failed', { path: event.rawPath, error: err as Error });
    return {
      statusCode: 500,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ message: (err as Error).message }),
    };
  }
}

export const handler = middy(api)
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger, { clearState: true }))
  .use(logMetrics(metrics));
