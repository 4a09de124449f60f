import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';

export interface UiHostingProps {
  /** The Content-Security-Policy header of every response. */
  readonly contentSecurityPolicy: string;
}

/**
 * The UI's static assets: a private, encrypted bucket that only this
 * CloudFront distribution may read (origin access control, the bucket policy
 * conditioned on the distribution's ARN), served over HTTPS with security
 * headers, and index.html for any path that is no file (the SPA's own routes).
 */
export class UiHosting extends Construct {
  readonly bucket: s3.Bucket;
  readonly distribution: cloudfront.Distribution;
  /** `https://DOMAIN`: the browser API's one CORS origin. */
  readonly origin: string;
  /** `https://DOMAIN/`: where the UI is, and where sign-in returns to. */
  readonly url: string;

  constructor(scope: Construct, id: string, props: UiHostingProps) {
    super(scope, id);
    this.bucket = new s3.Bucket(this, 'Assets', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
    });
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'The bucket holds only the built UI, the same public files for every visitor, and only the distribution reads it. Who does what is logged where it matters: the browser API access logs name the signed-in subject of every request.',
    });
    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: 'Driftless UI',
      defaultRootObject: 'index.html',
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: securityHeaders(this, props.contentSecurityPolicy),
        compress: true,
      },
      // Without s3:ListBucket a missing key is 403, not 404: both mean a path
      // of the SPA's own router, which index.html resolves.
      errorResponses: [403, 404].map((httpStatus) => ({
        httpStatus,
        responseHttpStatus: 200,
        responsePagePath: '/index.html',
        ttl: Duration.seconds(0),
      })),
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      priceClass: cloudfront.PriceClass.PRICE_CLASS_100,
    });
    acknowledgeDistribution(this.distribution);
    this.origin = `https://${this.distribution.distributionDomainName}`;
    this.url = `${this.origin}/`;
  }

  /**
   * Uploads the built UI and `config.json` (what the UI reads at `/config.json`)
   * on every deploy, and invalidates the distribution's cache.
   */
  deploy(assetsPath: string, config: Record<string, unknown>): s3deploy.BucketDeployment {
    if (!existsSync(join(assetsPath, 'index.html')))
      throw new Error(`ui.assetsPath ${assetsPath} has no index.html: build the UI first`);
    const deployment = new s3deploy.BucketDeployment(this, 'Deployment', {
      // config.json last, so it replaces one the build may have left for local use.
      sources: [s3deploy.Source.asset(assetsPath), s3deploy.Source.jsonData('config.json', config)],
      destinationBucket: this.bucket,
      distribution: this.distribution,
      distributionPaths: ['/*'],
      // File names are the UI build's, hashed or not: browsers revalidate every
      // file (cheap with ETags) rather than keep a stale index.html or config.json.
      cacheControl: [s3deploy.CacheControl.noCache()],
    });
    acknowledgeDeployment(deployment);
    return deployment;
  }
}

/**
 * The default Content-Security-Policy: everything from the UI's own origin,
 * connections to the browser API and the sign-in origins, no framing.
 */
export function defaultContentSecurityPolicy(scope: Construct, signInOrigins: string[]): string {
  const { region, urlSuffix } = Stack.of(scope);
  // The browser API's host cannot be named exactly: its CORS origin is the
  // distribution, so the distribution's headers naming the API would be a
  // dependency cycle. Any API Gateway host of the region, then.
  const apis = `https://*.execute-api.${region}.${urlSuffix}`;
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src 'self' ${apis} ${signInOrigins.join(' ')}`,
    "frame-ancestors 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "object-src 'none'",
  ].join('; ');
}

/** CSP, HSTS (two years), nosniff, frame deny and no referrer on every response, the error pages included. */
function securityHeaders(scope: Construct, csp: string): cloudfront.ResponseHeadersPolicy {
  return new cloudfront.ResponseHeadersPolicy(scope, 'SecurityHeaders', {
    comment: 'Driftless UI security headers',
    securityHeadersBehavior: {
      contentSecurityPolicy: { contentSecurityPolicy: csp, override: true },
      strictTransportSecurity: {
        accessControlMaxAge: Duration.days(730),
        includeSubdomains: true,
        override: true,
      },
      contentTypeOptions: { override: true },
      frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
      referrerPolicy: {
        referrerPolicy: cloudfront.HeadersReferrerPolicy.NO_REFERRER,
        override: true,
      },
    },
  });
}

function acknowledgeDistribution(distribution: cloudfront.Distribution): void {
  const reasons: Record<string, string> = {
    'AwsSolutions-CFR1':
      'The UI is static files that are no secret; who may act is decided by the sign-in and the browser API, not by where a visitor is.',
    'AwsSolutions-CFR2':
      'The distribution serves only static files from a private bucket (no origin that computes anything); the browser API behind it is throttled and needs a verified token. Associate a web ACL yourself if your policy requires one.',
    'AwsSolutions-CFR3':
      'Access logs of identical public files would say nothing the browser API access logs do not: those name the signed-in subject of every request.',
    'AwsSolutions-CFR4':
      'The default *.cloudfront.net certificate has a fixed TLSv1 security policy that cannot be raised; browsers that load the UI negotiate TLS 1.2 or newer, and HSTS keeps them on HTTPS.',
  };
  for (const [id, reason] of Object.entries(reasons))
    Validations.of(distribution).acknowledge({ id, reason });
}

/**
 * The deployment's handler (CDK's, one per stack for every BucketDeployment)
 * and its role: each wildcard of its policy is acknowledged by the name
 * cdk-nag gives it, so a wildcard added by anything else still fails synth.
 */
function acknowledgeDeployment(deployment: s3deploy.BucketDeployment): void {
  const role = deployment.handlerRole;
  const handler = role.node.scope ?? role;
  Validations.of(handler).acknowledge({
    id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    reason:
      "CDK's BucketDeployment handler writes its logs with AWSLambdaBasicExecutionRole; it runs only while a deploy uploads the UI.",
  });
  Validations.of(handler).acknowledge({
    id: 'AwsSolutions-L1',
    reason:
      "CDK's BucketDeployment handler: aws-cdk-lib chooses and updates its runtime (Python with the AWS CLI layer), not this construct.",
  });
  const policy = role.node.tryFindChild('DefaultPolicy') as iam.Policy | undefined;
  const document = Stack.of(role).resolve(policy?.document.toJSON()) as PolicyJson | undefined;
  for (const id of wildcardFindings(document))
    Validations.of(handler).acknowledge({
      id,
      reason:
        "CDK's BucketDeployment handler copies the UI's asset (every object under its key in the CDK assets bucket) into the UI bucket, replacing and pruning objects, and invalidates the distribution: S3 action groups on those two buckets' objects, and CloudFront invalidation, which has no resource-level permission.",
    });
}

interface PolicyJson {
  Statement: { Effect: string; Action: string | string[]; Resource: unknown }[];
}

/** The AwsSolutions-IAM5 finding ids of a policy's allowed wildcards, as cdk-nag words them. */
function wildcardFindings(document: PolicyJson | undefined): Set<string> {
  const ids = new Set<string>();
  const list = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);
  for (const statement of document?.Statement ?? []) {
    if (statement.Effect !== 'Allow') continue;
    for (const action of list(statement.Action))
      if (action.includes('*')) ids.add(`AwsSolutions-IAM5[Action::${action}]`);
    for (const resource of list(statement.Resource).map(flattened))
      if (resource.includes('*')) ids.add(`AwsSolutions-IAM5[Resource::${resource}]`);
  }
  return ids;
}

/** A resolved CloudFormation value as cdk-nag flattens it: `<Ref>`, `<Id.Attribute>`, joins joined. */
function flattened(value: unknown): string {
  if (typeof value === 'string') return value.replace(/\$\{/g, '<').replace(/\}/g, '>');
  const v = value as Record<string, unknown>;
  if (v['Fn::Join']) {
    const [delimiter, items] = v['Fn::Join'] as [string, unknown[]];
    return items.map(flattened).join(delimiter);
  }
  if (v['Fn::Sub']) return flattened(v['Fn::Sub']);
  if (v['Fn::GetAtt']) return `<${(v['Fn::GetAtt'] as string[]).join('.')}>`;
  if (v.Ref) return `<${String(v.Ref)}>`;
  return JSON.stringify(value);
}
