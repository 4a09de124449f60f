// Synthesizing the Driftless construct for the CDK test files, and reading what came out.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as eks from 'aws-cdk-lib/aws-eks';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { afterAll, expect } from 'vitest';
import { Driftless, type DriftlessProps } from '../../cdk/driftless.ts';

export const ACCOUNT = '123456789012';
export const REGION = 'eu-west-1';
export const CREDENTIALS_ARN = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:driftless/git-AbCdEf`;
export const CROSS_ACCOUNT_ROLE = 'arn:aws:iam::210987654321:role/driftless-deployer';

export const work = mkdtempSync(join(tmpdir(), 'driftless-cdk-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/**
 * A layer with stand-in tool files, so synth does not cross-compile Helm
 * (the real layer has its own test, with a pre-filled build cache).
 */
function stubToolsLayer(stack: Stack): lambda.ILayerVersion {
  const dir = join(work, 'stub-layer');
  if (!existsSync(dir)) {
    mkdirSync(join(dir, 'bin'), { recursive: true });
    for (const tool of ['kustomize', 'helm']) writeFileSync(join(dir, 'bin', tool), '#!/bin/sh\n');
  }
  return new lambda.LayerVersion(stack, 'StubTools', { code: lambda.Code.fromAsset(dir) });
}

export interface Synth {
  app: App;
  stack: Stack;
  driftless: Driftless;
  template: Template;
}

/**
 * Synthesizes the construct in a test stack. `bundle: false` skips esbuild
 * (CDK's bundling-stacks context) for the variants that only look at
 * configuration; the main synth bundles the real handlers.
 */
export function synth(
  build: (stack: Stack) => Partial<DriftlessProps> = () => ({}),
  {
    bundle = false,
    extend,
  }: { bundle?: boolean; extend?: (stack: Stack, driftless: Driftless) => void } = {},
): Synth {
  const app = new App({
    outdir: mkdtempSync(join(work, 'out-')),
    ...(bundle ? {} : { context: { 'aws:cdk:bundling-stacks': [] } }),
  });
  const stack = new Stack(app, 'Test', { env: { account: ACCOUNT, region: REGION } });
  const driftless = new Driftless(stack, 'Driftless', {
    configRepository: { url: 'https://git.example.com/platform/config.git' },
    toolsLayer: stubToolsLayer(stack),
    ...build(stack),
  });
  extend?.(stack, driftless);
  return { app, stack, driftless, template: Template.fromStack(stack) };
}

/** The props of the main synth: every optional grant in use (Git credentials, clusters, roles to assume). */
export function mainProps(stack: Stack): Partial<DriftlessProps> {
  return {
    configRepository: {
      url: 'https://git.example.com/platform/config.git',
      revision: 'release',
      path: 'clusters/prod',
      credentials: secretsmanager.Secret.fromSecretCompleteArn(stack, 'Git', CREDENTIALS_ARN),
    },
    clusters: [
      {
        cluster: eks.Cluster.fromClusterAttributes(stack, 'Prod', { clusterName: 'prod' }),
      },
      { cluster: { clusterName: 'staging' }, namespaces: ['team-a', 'team-b'] },
    ],
    assumeRoleArns: [CROSS_ACCOUNT_ROLE],
    alarmEmails: ['oncall@example.com'],
  };
}

/** Violations cdk-nag's AwsSolutions pack reports for a synthesized app (acknowledged ones excluded). */
export function nagViolations(scope: IConstruct): string[] {
  const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(scope);
  return report.violations.map(
    (v) =>
      `${v.ruleName} (${v.severity}): ${v.violatingResources.map((r) => r.constructPath).join(', ')}: ${v.description}`,
  );
}

export type Resource = { Type: string; Properties: Record<string, unknown> } & Record<
  string,
  unknown
>;
export type Statement = {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
};

export function resourcesOf(template: Template, type: string): Record<string, Resource> {
  return template.findResources(type) as Record<string, Resource>;
}

/** The logical id of the one resource of a type whose id starts with the given prefix. */
export function logicalId(template: Template, type: string, prefix: string): string {
  const ids = Object.keys(resourcesOf(template, type)).filter((id) => id.startsWith(prefix));
  expect(ids, `${type} ${prefix}*`).toHaveLength(1);
  return ids[0]!;
}

/** All statements of the inline policies attached to a role. */
export function statementsOf(template: Template, rolePrefix: string): Statement[] {
  const role = logicalId(template, 'AWS::IAM::Role', rolePrefix);
  return Object.values(resourcesOf(template, 'AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties.Roles).includes(`"${role}"`))
    .flatMap((p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
}

export const actions = (s: Statement): string[] =>
  Array.isArray(s.Action) ? s.Action : [s.Action];
export const allowed = (statements: Statement[]): string[] => statements.flatMap(actions).sort();
export const functionNamed = (template: Template, prefix: string): Resource =>
  resourcesOf(template, 'AWS::Lambda::Function')[
    logicalId(template, 'AWS::Lambda::Function', prefix)
  ]!;
