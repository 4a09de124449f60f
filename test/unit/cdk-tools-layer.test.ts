import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, expect, test } from 'vitest';
import { DriftlessToolsLayer, toolVersions } from '../../cdk/tools-layer.ts';

const work = mkdtempSync(join(tmpdir(), 'driftless-tools-layer-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const versions = toolVersions();

/**
 * A build cache that already holds both arm64 binaries (stand-ins), laid out
 * the way build.sh writes it: the layer build then copies instead of
 * cross-compiling, which the example app's synth (CI's cfn-lint step) does for real.
 */
function prefilledCache(): string {
  const cache = join(work, 'cache');
  for (const [tool, version] of [
    ['kustomize', versions.KUSTOMIZE_VERSION],
    ['helm', versions.HELM_VERSION],
  ] as const) {
    const dir = join(cache, `${tool}-${version}-arm64`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, tool), `#!/bin/sh\necho ${tool} ${version}\n`, { mode: 0o755 });
  }
  return cache;
}

function synthLayer(cacheDir: string): { template: Template; outdir: string } {
  const outdir = mkdtempSync(join(work, 'out-'));
  const app = new App({ outdir });
  const stack = new Stack(app, 'Layer');
  new DriftlessToolsLayer(stack, 'Tools', { cacheDir });
  return { template: Template.fromStack(stack), outdir };
}

test('tool versions come from the harness file the test servers are built from', () => {
  expect(versions.KUSTOMIZE_VERSION).toMatch(/^v5\.\d+\.\d+$/);
  expect(versions.HELM_VERSION).toMatch(/^v3\.\d+\.\d+$/);
});

test('the layer holds bin/kustomize and bin/helm for arm64 and nodejs24.x', () => {
  const { template, outdir } = synthLayer(prefilledCache());
  template.resourceCountIs('AWS::Lambda::LayerVersion', 1);
  template.hasResourceProperties('AWS::Lambda::LayerVersion', {
    CompatibleArchitectures: ['arm64'],
    CompatibleRuntimes: ['nodejs24.x'],
    Description: `kustomize ${versions.KUSTOMIZE_VERSION} and helm ${versions.HELM_VERSION} for linux/arm64 (Driftless)`,
  });
  const layer = Object.values(template.findResources('AWS::Lambda::LayerVersion'))[0] as {
    Properties: { Content: { S3Key: string } };
  };
  const staged = join(outdir, `asset.${layer.Properties.Content.S3Key.replace(/\.zip$/, '')}`);
  for (const tool of ['kustomize', 'helm']) {
    const file = join(staged, 'bin', tool);
    expect(readFileSync(file, 'utf8')).toContain(tool);
    // Executable, or Lambda could not run it from /opt/bin.
    expect(statSync(file).mode & 0o111).toBe(0o111);
  }
});

test('the asset hash depends on the build script and versions only, so synths agree', () => {
  const cache = prefilledCache();
  const key = (t: Template) =>
    (
      Object.values(t.findResources('AWS::Lambda::LayerVersion'))[0] as {
        Properties: { Content: { S3Key: string } };
      }
    ).Properties.Content.S3Key;
  expect(key(synthLayer(cache).template)).toBe(key(synthLayer(cache).template));
});
