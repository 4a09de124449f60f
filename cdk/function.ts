import { join } from 'node:path';
import { RemovalPolicy, Size, Validations, type Duration } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/** The repository root: entries, package-lock.json and node_modules live there. */
export const PROJECT_ROOT = join(import.meta.dirname, '..');

/** The four entry points in functions/, each exporting `handler`. */
export type EntryName = 'scheduler' | 'webhook' | 'reconciler' | 'api';

export interface DriftlessFunctionProps {
  readonly entry: EntryName;
  readonly description: string;
  readonly memorySize: number;
  readonly timeout: Duration;
  readonly environment: Record<string, string>;
  readonly logRetention: logs.RetentionDays;
  readonly ephemeralStorageSize?: number;
  readonly layers?: lambda.ILayerVersion[];
  readonly vpc?: ec2.IVpc;
  readonly vpcSubnets?: ec2.SubnetSelection;
  readonly securityGroups?: ec2.ISecurityGroup[];
}

/**
 * One entry point as a Lambda function, with its own role and log group. The
 * role starts empty (no AWSLambdaBasicExecutionRole): it may write to its own
 * log group and nothing else until the caller grants more.
 */
export class DriftlessFunction extends Construct {
  readonly function: nodejs.NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: DriftlessFunctionProps) {
    super(scope, id);
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Driftless ${props.entry} function`,
    });
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.logGroup.grantWrite(this.role);
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords do not support resource-level permissions, so AWS requires Resource "*" (added by tracing: Active). No other statement of these roles uses a wildcard resource; the construct tests assert that.',
    });
    if (props.vpc) {
      // Lambda creates and deletes the function's network interfaces with the
      // function's role; the AWS managed policy is exactly that permission set.
      this.role.addManagedPolicy(
        iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSLambdaVPCAccessExecutionRole'),
      );
      Validations.of(this.role).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
        reason:
          'A function in a VPC needs the EC2 network-interface permissions Lambda uses to attach it to the subnets; the AWS managed AWSLambdaVPCAccessExecutionRole is exactly that set, kept current by AWS.',
      });
    }

    this.function = new nodejs.NodejsFunction(this, 'Function', {
      entry: join(PROJECT_ROOT, 'functions', `${props.entry}.ts`),
      handler: 'handler',
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize,
      timeout: props.timeout,
      ...(props.ephemeralStorageSize
        ? { ephemeralStorageSize: Size.mebibytes(props.ephemeralStorageSize) }
        : {}),
      role: this.role,
      logGroup: this.logGroup,
      tracing: lambda.Tracing.ACTIVE,
      environment: props.environment,
      layers: props.layers ?? [],
      ...(props.vpc
        ? { vpc: props.vpc, vpcSubnets: props.vpcSubnets, securityGroups: props.securityGroups }
        : {}),
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
      bundling: {
        minify: true,
        sourceMap: true,
        format: nodejs.OutputFormat.ESM,
        target: 'node24',
        mainFields: ['module', 'main'],
        // Bundled CommonJS dependencies still call require(); ESM has none.
        banner:
          "import { createRequire as __driftlessCreateRequire } from 'node:module'; const require = __driftlessCreateRequire(import.meta.url);",
        // Bundle everything, the AWS SDK included: the version we pin and test
        // against, not whichever one the runtime happens to ship.
        externalModules: [],
      },
    });
  }
}
