import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { API_ROUTES, BROWSER_ROUTE } from '../../cdk/http-apis.ts';
import type { DriftlessUi } from '../../cdk/props.ts';
import { BROWSER_ACCESS_ENV as CDK_ENV } from '../../cdk/browser-auth.ts';
import { BROWSER_ACCESS_ENV, BrowserAccess } from '../../shared/api/browser-principal.ts';
import {
  ACCOUNT,
  functionNamed,
  logicalId,
  nagViolations,
  resourcesOf,
  synth,
  work,
  type Resource,
  type Synth,
} from './cdk-synth.ts';

/** The web UI on AWS: S3 + CloudFront with origin access control, sign-in, and a browser API. */

const assets = join(work, 'ui-dist');
mkdirSync(assets, { recursive: true });
writeFileSync(join(assets, 'index.html'), '<!doctype html><title>Driftless</title>');

const TEAMS: DriftlessUi = {
  assetsPath: assets,
  projectsByGroup: { 'team-a-devs': ['team-a'], oncall: ['team-a', 'team-b'] },
};

type Statement = {
  Effect: string;
  Principal?: unknown;
  Action: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
};

const only = (template: Synth['template'], type: string): [string, Resource] => {
  const entries = Object.entries(resourcesOf(template, type));
  expect(entries, type).toHaveLength(1);
  return entries[0]!;
};
const routesOf = (template: Synth['template'], apiId: string) =>
  Object.values(resourcesOf(template, 'AWS::ApiGatewayV2::Route'))
    .map((r) => r.Properties)
    .filter((p) => JSON.stringify(p.ApiId) === JSON.stringify({ Ref: apiId }));
const environmentOf = (template: Synth['template']) =>
  (
    functionNamed(template, 'DriftlessApiFunction').Properties.Environment as {
      Variables: Record<string, unknown>;
    }
  ).Variables;

describe('Driftless web UI', () => {
  let cognito: Synth;

  beforeAll(() => {
    cognito = synth(() => ({ ui: TEAMS }));
  }, 60_000);

  test('the distribution reads the bucket through origin access control, HTTPS only, index.html for unknown paths', () => {
    const { template } = cognito;
    const [oacId, oac] = only(template, 'AWS::CloudFront::OriginAccessControl');
    expect(oac.Properties.OriginAccessControlConfig).toMatchObject({
      OriginAccessControlOriginType: 's3',
      SigningBehavior: 'always',
      SigningProtocol: 'sigv4',
    });
    expect(resourcesOf(template, 'AWS::CloudFront::CloudFrontOriginAccessIdentity')).toEqual({});
    const [, distribution] = only(template, 'AWS::CloudFront::Distribution');
    const config = distribution.Properties.DistributionConfig as Record<string, unknown> & {
      Origins: Record<string, unknown>[];
      DefaultCacheBehavior: Record<string, unknown>;
    };
    const bucket = logicalId(template, 'AWS::S3::Bucket', 'DriftlessUiHostingAssets');
    expect(config.Origins).toHaveLength(1);
    expect(config.Origins[0]).toMatchObject({
      DomainName: { 'Fn::GetAtt': [bucket, 'RegionalDomainName'] },
      OriginAccessControlId: { 'Fn::GetAtt': [oacId, 'Id'] },
      S3OriginConfig: { OriginAccessIdentity: '' },
    });
    expect(config.DefaultRootObject).toBe('index.html');
    const headers = logicalId(template, 'AWS::CloudFront::ResponseHeadersPolicy', 'DriftlessUi');
    expect(config.DefaultCacheBehavior).toMatchObject({
      ViewerProtocolPolicy: 'redirect-to-https',
      AllowedMethods: ['GET', 'HEAD'],
      ResponseHeadersPolicyId: { Ref: headers },
    });
    expect(config.CustomErrorResponses).toEqual(
      [403, 404].map((code) => ({
        ErrorCode: code,
        ResponseCode: 200,
        ResponsePagePath: '/index.html',
        ErrorCachingMinTTL: 0,
      })),
    );
  });

  test('every response carries CSP, HSTS, nosniff and frame deny', () => {
    const [, policy] = only(cognito.template, 'AWS::CloudFront::ResponseHeadersPolicy');
    const security = (
      policy.Properties.ResponseHeadersPolicyConfig as {
        SecurityHeadersConfig: Record<string, Record<string, unknown>>;
      }
    ).SecurityHeadersConfig;
    expect(security.StrictTransportSecurity).toMatchObject({
      IncludeSubdomains: true,
      Override: true,
    });
    expect(security.StrictTransportSecurity!.AccessControlMaxAgeSec).toBeGreaterThanOrEqual(
      31536000,
    );
    expect(security.ContentTypeOptions).toEqual({ Override: true });
    expect(security.FrameOptions).toEqual({ FrameOption: 'DENY', Override: true });
    const csp = cognito.stack.resolve(security.ContentSecurityPolicy!.ContentSecurityPolicy);
    const text = JSON.stringify(csp);
    for (const directive of [
      "default-src 'self'",
      "script-src 'self'",
      "frame-ancestors 'none'",
      "object-src 'none'",
      "base-uri 'self'",
      'https://cognito-idp.eu-west-1.',
      '.auth.eu-west-1.amazoncognito.com',
    ])
      expect(text).toContain(directive);
    expect(text).not.toContain('unsafe-inline');
    expect(text).not.toContain('unsafe-eval');
  });

  test('the bucket is private: only the distribution may read it, by AWS:SourceArn', () => {
    const { template } = cognito;
    const [bucketId, bucket] = only(template, 'AWS::S3::Bucket');
    expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(bucket.Properties.BucketEncryption).toBeDefined();
    expect(bucket.Properties.WebsiteConfiguration).toBeUndefined();
    expect(bucket.Properties.AccessControl).toBeUndefined();
    const [, policy] = only(template, 'AWS::S3::BucketPolicy');
    expect(policy.Properties.Bucket).toEqual({ Ref: bucketId });
    const statements = (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement;
    const allows = statements.filter((s) => s.Effect === 'Allow');
    const distribution = logicalId(template, 'AWS::CloudFront::Distribution', 'DriftlessUi');
    expect(allows).toEqual([
      {
        Effect: 'Allow',
        Principal: { Service: 'cloudfront.amazonaws.com' },
        Action: 's3:GetObject',
        Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/*']] },
        Condition: {
          StringEquals: {
            'AWS:SourceArn': {
              'Fn::Join': [
                '',
                [
                  'arn:',
                  { Ref: 'AWS::Partition' },
                  ':cloudfront::',
                  { Ref: 'AWS::AccountId' },
                  ':distribution/',
                  { Ref: distribution },
                ],
              ],
            },
          },
        },
      },
    ]);
    // What is not allowed is denied outright: plain HTTP and old TLS.
    for (const deny of statements.filter((s) => s.Effect !== 'Allow'))
      expect(deny.Effect).toBe('Deny');
  });

  test('the built folder and config.json (API URL, issuer, client id) are deployed, and the cache invalidated', () => {
    const { template, app } = cognito;
    const [, deployment] = only(template, 'Custom::CDKBucketDeployment');
    const props = deployment.Properties;
    expect(props.DestinationBucketName).toEqual({
      Ref: logicalId(template, 'AWS::S3::Bucket', 'DriftlessUiHostingAssets'),
    });
    expect(props.DistributionId).toEqual({
      Ref: logicalId(template, 'AWS::CloudFront::Distribution', 'DriftlessUi'),
    });
    expect(props.DistributionPaths).toEqual(['/*']);
    const keys = props.SourceObjectKeys as string[];
    expect(keys).toHaveLength(2);
    const folder = (key: string) => join(app.outdir, `asset.${key.replace(/\.zip$/, '')}`);
    expect(readdirSync(folder(keys[0]!))).toEqual(['index.html']);
    const configFile = join(folder(keys[1]!), 'config.json');
    expect(existsSync(configFile)).toBe(true);
    // Deploy-time values are markers in the file, resolved by the deployment.
    const markers = (props.SourceMarkers as Record<string, unknown>[])[1]!;
    const config = JSON.parse(
      readFileSync(configFile, 'utf8').replace(/<<marker:0xbaba:\d+>>/g, (m) =>
        JSON.stringify(markers[m]).replace(/"/g, "'"),
      ),
    ) as { apiUrl: string; oidc: Record<string, string> };
    const browserApi = logicalId(template, 'AWS::ApiGatewayV2::Api', 'DriftlessUiBrowserApi');
    const pool = logicalId(template, 'AWS::Cognito::UserPool', 'DriftlessUiSignInUsers');
    const client = logicalId(template, 'AWS::Cognito::UserPoolClient', 'DriftlessUiSignInUsersUi');
    expect(config.apiUrl).toContain(`{'Ref':'${browserApi}'}`);
    expect(config.oidc.issuer).toMatch(/^https:\/\/cognito-idp\.eu-west-1\./);
    expect(config.oidc.issuer).toContain(`{'Ref':'${pool}'}`);
    expect(config.oidc.clientId).toBe(`{'Ref':'${client}'}`);
    expect(config.oidc.scopes).toEqual(['openid', 'email', 'profile']);
    expect(config.oidc.authorizationEndpoint).toMatch(/\/oauth2\/authorize$/);
    expect(config.oidc.tokenEndpoint).toMatch(/\/oauth2\/token$/);
  });

  test('browser routes need a JWT of the user pool client; CORS allows only the distribution', () => {
    const { template } = cognito;
    const browserApi = logicalId(template, 'AWS::ApiGatewayV2::Api', 'DriftlessUiBrowserApi');
    const [authorizerId, authorizer] = only(template, 'AWS::ApiGatewayV2::Authorizer');
    const client = logicalId(template, 'AWS::Cognito::UserPoolClient', 'DriftlessUiSignInUsersUi');
    const pool = logicalId(template, 'AWS::Cognito::UserPool', 'DriftlessUiSignInUsers');
    expect(authorizer.Properties).toMatchObject({
      ApiId: { Ref: browserApi },
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: { Audience: [{ Ref: client }] },
    });
    expect(JSON.stringify(authorizer.Properties.JwtConfiguration)).toContain(`{"Ref":"${pool}"}`);
    const routes = routesOf(template, browserApi);
    expect(routes.map((r) => r.RouteKey).sort()).toEqual([
      `GET ${BROWSER_ROUTE}`,
      `POST ${BROWSER_ROUTE}`,
    ]);
    for (const route of routes)
      expect(route).toMatchObject({
        AuthorizationType: 'JWT',
        AuthorizerId: { Ref: authorizerId },
      });
    const api = resourcesOf(template, 'AWS::ApiGatewayV2::Api')[browserApi]!;
    const distribution = logicalId(template, 'AWS::CloudFront::Distribution', 'DriftlessUi');
    expect(api.Properties.CorsConfiguration).toMatchObject({
      AllowOrigins: [
        { 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [distribution, 'DomainName'] }]] },
      ],
      AllowMethods: ['GET', 'POST'],
    });
    expect(JSON.stringify(api.Properties.CorsConfiguration)).not.toContain('"*"');
  });

  test('every CLI route keeps IAM auth, and the management API gets no CORS', () => {
    const { template } = cognito;
    const management = logicalId(template, 'AWS::ApiGatewayV2::Api', 'DriftlessManagementApi');
    const routes = routesOf(template, management);
    expect(routes.map((r) => r.RouteKey).sort()).toEqual(
      API_ROUTES.map((r) => `${r.method} ${r.path}`).sort(),
    );
    for (const route of routes) {
      expect(route.AuthorizationType, String(route.RouteKey)).toBe('AWS_IAM');
      expect(route.AuthorizerId).toBeUndefined();
    }
    const api = resourcesOf(template, 'AWS::ApiGatewayV2::Api')[management]!;
    expect(api.Properties.CorsConfiguration).toBeUndefined();
    // Both APIs reach the one API function.
    const fn = logicalId(template, 'AWS::Lambda::Function', 'DriftlessApiFunction');
    const invokers = Object.values(resourcesOf(template, 'AWS::Lambda::Permission'))
      .filter((p) => JSON.stringify(p.Properties.FunctionName).includes(fn))
      .map((p) => JSON.stringify(p.Properties.SourceArn));
    expect(invokers.some((s) => s.includes(management))).toBe(true);
    expect(invokers.some((s) => s.includes('DriftlessUiBrowserApi'))).toBe(true);
  });

  test('the user pool: admins create users, MFA, a public code-flow client returning to the UI, the groups', () => {
    const { template } = cognito;
    const [, pool] = only(template, 'AWS::Cognito::UserPool');
    expect(pool.Properties).toMatchObject({
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      MfaConfiguration: 'ON',
      EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
    });
    const [, client] = only(template, 'AWS::Cognito::UserPoolClient');
    const distribution = logicalId(template, 'AWS::CloudFront::Distribution', 'DriftlessUi');
    const uiUrl = {
      'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [distribution, 'DomainName'] }, '/']],
    };
    expect(client.Properties).toMatchObject({
      GenerateSecret: false,
      AllowedOAuthFlows: ['code'],
      AllowedOAuthFlowsUserPoolClient: true,
      ExplicitAuthFlows: ['ALLOW_REFRESH_TOKEN_AUTH'],
      CallbackURLs: [uiUrl],
      LogoutURLs: [uiUrl],
      SupportedIdentityProviders: ['COGNITO'],
    });
    const groups = Object.values(resourcesOf(template, 'AWS::Cognito::UserPoolGroup')).map(
      (g) => g.Properties.GroupName,
    );
    expect(groups.sort()).toEqual(['driftless-admins', 'oncall', 'team-a-devs']);
    const [, domain] = only(template, 'AWS::Cognito::UserPoolDomain');
    // Prefixes are unique across all accounts of a region: the account is part of the default.
    expect(domain.Properties.Domain).toMatch(new RegExp(`^[a-z0-9-]+-${ACCOUNT}$`));
  });

  test('the API function gets the group → project mapping, in the shape it parses', () => {
    // cdk/ may not import shared/ (the synth loads no runtime code): the same name twice.
    expect(CDK_ENV).toBe(BROWSER_ACCESS_ENV);
    const raw = environmentOf(cognito.template)[BROWSER_ACCESS_ENV];
    expect(BrowserAccess.parse(JSON.parse(raw as string))).toEqual({
      groupsClaim: 'cognito:groups',
      adminGroups: ['driftless-admins'],
      projectsByGroup: { 'team-a-devs': ['team-a'], oncall: ['team-a', 'team-b'] },
    });
  });

  test('cdk-nag finds nothing unacknowledged', () => {
    expect(nagViolations(cognito.app)).toEqual([]);
  });

  test('with the team’s own OIDC issuer: no user pool, its issuer and audience, its groups claim', () => {
    const { template, app } = synth(() => ({
      ui: {
        assetsPath: assets,
        oidc: {
          issuer: 'https://login.example.com/oauth2/default',
          clientId: 'spa-client',
          audience: ['api://driftless'],
        },
        projectsByGroup: { 'okta-team-a': ['team-a'] },
        adminGroups: ['platform'],
      },
    }));
    expect(resourcesOf(template, 'AWS::Cognito::UserPool')).toEqual({});
    const [, authorizer] = only(template, 'AWS::ApiGatewayV2::Authorizer');
    expect(authorizer.Properties.JwtConfiguration).toEqual({
      Issuer: 'https://login.example.com/oauth2/default',
      Audience: ['api://driftless'],
    });
    const [, policy] = only(template, 'AWS::CloudFront::ResponseHeadersPolicy');
    expect(JSON.stringify(policy.Properties)).toContain('https://login.example.com');
    expect(JSON.parse(environmentOf(template).DRIFTLESS_BROWSER_ACCESS as string)).toEqual({
      groupsClaim: 'groups',
      adminGroups: ['platform'],
      projectsByGroup: { 'okta-team-a': ['team-a'] },
    });
    expect(nagViolations(app)).toEqual([]);
  }, 60_000);
});

test('without `ui`, nothing of it is created and the API function has no browser settings', () => {
  const { template } = synth();
  for (const type of [
    'AWS::S3::Bucket',
    'AWS::CloudFront::Distribution',
    'AWS::Cognito::UserPool',
    'AWS::ApiGatewayV2::Authorizer',
  ])
    expect(resourcesOf(template, type), type).toEqual({});
  expect(Object.keys(resourcesOf(template, 'AWS::ApiGatewayV2::Api'))).toHaveLength(2);
  expect(environmentOf(template).DRIFTLESS_BROWSER_ACCESS).toBeUndefined();
}, 60_000);

test('refuses at synth what could never work: no index.html, project globs, plain HTTP issuers, blank groups', () => {
  const empty = join(work, 'ui-empty');
  mkdirSync(empty, { recursive: true });
  expect(() => synth(() => ({ ui: { assetsPath: empty } }))).toThrow(/has no index.html/);
  expect(() =>
    synth(() => ({ ui: { assetsPath: assets, projectsByGroup: { devs: ['team-*'] } } })),
  ).toThrow(/not a project name/);
  expect(() =>
    synth(() => ({
      ui: { assetsPath: assets, oidc: { issuer: 'http://login.example.com', clientId: 'c' } },
    })),
  ).toThrow(/https URL/);
  expect(() => synth(() => ({ ui: { assetsPath: assets, adminGroups: ['two words'] } }))).toThrow(
    /no whitespace/,
  );
}, 60_000);
