import { chmodSync, cpSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  detectRenderer,
  render,
  RenderError,
  ToolNotFoundError,
  ToolRunError,
  type RenderedObject,
} from '../../shared/render/index.ts';
import { repoRoot, toolPath } from '../harness/tools.ts';

const fixtures = join(repoRoot, 'test/fixtures/render');
const binaries = { kustomize: toolPath('kustomize'), helm: toolPath('helm') };
// The Kustomize fixtures' overlays reach their base through `../..`: the
// fixtures folder stands for the repository checkout.
const containment = { root: realpathSync.native(fixtures), refusedLinks: [] };
const options = { namespace: 'team-a', kubeVersion: 'v1.36.3', binaries, containment };
const dirs: string[] = [];
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'driftless-render-tools-'));
  dirs.push(dir);
  return dir;
};
/** A stand-in binary: a shell script, to observe arguments and environment or misbehave. */
const script = (body: string): string => {
  const path = join(tempDir(), 'tool');
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
};
const find = (objects: RenderedObject[], kind: string): RenderedObject | undefined =>
  objects.find((o) => o.object.kind === kind);

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('auto-detection', () => {
  it('picks helm for Chart.yaml, kustomize for a kustomization, else directory', () => {
    expect(detectRenderer(join(fixtures, 'helm/guestbook'), undefined)).toBe('helm');
    expect(detectRenderer(join(fixtures, 'kustomize/overlays/prod'), undefined)).toBe('kustomize');
    expect(detectRenderer(join(fixtures, 'directory'), undefined)).toBe('directory');
    // The spec wins over the files.
    expect(
      detectRenderer(join(fixtures, 'helm/guestbook'), { directory: { recurse: false } }),
    ).toBe('directory');
    for (const name of ['kustomization.yml', 'Kustomization']) {
      const dir = tempDir();
      writeFileSync(join(dir, name), 'resources: []\n');
      expect(detectRenderer(dir, undefined)).toBe('kustomize');
    }
  });
});

describe('kustomize render', () => {
  it('builds an overlay on its base and names the output documents', async () => {
    const objects = await render(join(fixtures, 'kustomize/overlays/prod'), undefined, options);
    expect(objects.map((o) => `${o.object.kind}/${o.object.metadata.name}`)).toEqual([
      expect.stringMatching(/^ConfigMap\/prod-settings-[a-z0-9]{10}$/),
      'Service/prod-guestbook',
      'Deployment/prod-guestbook',
    ]);
    const deployment = find(objects, 'Deployment')!;
    expect(deployment.source).toEqual({ file: 'kustomize build', index: 2 });
    expect(deployment.object).toMatchObject({
      metadata: { labels: { app: 'guestbook' } },
      spec: { replicas: 3 },
    });
    // Kustomize sets no namespace here, and neither does render.
    expect(deployment.object.metadata.namespace).toBeUndefined();
  });

  it('surfaces kustomize stderr when the build fails', async () => {
    const error = await render(
      join(fixtures, 'kustomize/broken'),
      { kustomize: {} },
      options,
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ToolRunError);
    expect(error).toMatchObject({ code: 'TOOL_FAILED', tool: 'kustomize', exitCode: 1 });
    expect((error as ToolRunError).stderr).toContain('does-not-exist.yaml');
    expect((error as Error).message).toMatch(
      /^kustomize exited with code 1:\nError: .*does-not-exist/,
    );
  });
});

describe('helm render', () => {
  const chart = join(fixtures, 'helm/guestbook');

  it('templates with the destination namespace, kube version, CRDs and no test hooks', async () => {
    const objects = await render(chart, { helm: { releaseName: 'gb', valueFiles: [] } }, options);
    expect(objects.map((o) => `${o.object.kind}/${o.object.metadata.name}`)).toEqual([
      'CustomResourceDefinition/widgets.example.com',
      'ConfigMap/gb-settings',
      'Deployment/gb-guestbook',
    ]);
    const configMap = find(objects, 'ConfigMap')!;
    expect(configMap.object.data).toEqual({
      greeting: 'hello',
      kubeVersion: 'v1.36.3',
      extra: 'none',
    });
    expect(configMap.source).toEqual({
      file: 'helm template',
      index: 1,
      template: 'guestbook/templates/configmap.yaml',
    });
    expect(find(objects, 'Deployment')!.object.metadata.namespace).toBe('team-a');
  });

  it('layers value files, then inline values; the spec kubeVersion overrides the cluster one', async () => {
    const withFile = await render(
      chart,
      { helm: { valueFiles: ['values-prod.yaml'], values: 'extra: inline\nreplicas: 5\n' } },
      { ...options, releaseName: 'my-app' },
    );
    expect(find(withFile, 'ConfigMap')!.object).toMatchObject({
      metadata: { name: 'my-app-settings' },
      data: { greeting: 'hello from prod', extra: 'inline' },
    });
    expect(find(withFile, 'Deployment')!.object).toMatchObject({ spec: { replicas: 5 } });

    const asObject = await render(
      chart,
      { helm: { valueFiles: [], values: { greeting: 'from an object' }, kubeVersion: '1.30.0' } },
      options,
    );
    expect(find(asObject, 'ConfigMap')!.object).toMatchObject({
      metadata: { name: 'release-name-settings' },
      data: { greeting: 'from an object', kubeVersion: 'v1.30.0' },
    });
  });

  it('reports a missing value file through helm stderr', async () => {
    const error = await render(chart, { helm: { valueFiles: ['nope.yaml'] } }, options).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ToolRunError);
    expect((error as ToolRunError).stderr).toContain('nope.yaml');
  });

  it('names the template of an invalid object in helm output', async () => {
    const dir = tempDir();
    cpSync(chart, dir, { recursive: true });
    writeFileSync(
      join(dir, 'templates/job.yaml'),
      'apiVersion: batch/v1\nkind: Job\nmetadata:\n  generateName: migrate-\n',
    );
    const error = await render(dir, undefined, options).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RenderError);
    expect((error as Error).message).toContain(
      'helm template, document 3 (template guestbook/templates/job.yaml): metadata.generateName is not supported',
    );
  });

  it('runs helm offline with scratch HELM_*_HOME and never --validate', async () => {
    const fakeHelm = script(
      `printf 'apiVersion: v1\\nkind: ConfigMap\\nmetadata:\\n  name: seen\\ndata:\\n  args: "%s"\\n  cache: "%s"\\n  config: "%s"\\n  home: "%s"\\n' "$*" "$HELM_CACHE_HOME" "$HELM_CONFIG_HOME" "$HOME"`,
    );
    const [seen] = await render(chart, undefined, { ...options, binaries: { helm: fakeHelm } });
    const data = seen!.object.data as { args: string; cache: string; config: string; home: string };
    expect(data.args).toBe(
      `template release-name ${chart} --namespace team-a --kube-version v1.36.3 --include-crds --skip-tests`,
    );
    expect(data.cache.startsWith(data.home)).toBe(true);
    expect(data.config.startsWith(data.home)).toBe(true);
    expect(data.home).not.toBe(process.env.HOME);
    expect(data.home).not.toBe('');
  });
});

describe('renderer binaries', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env.DRIFTLESS_KUSTOMIZE = saved.DRIFTLESS_KUSTOMIZE;
    process.env.DRIFTLESS_HELM = saved.DRIFTLESS_HELM;
    if (saved.DRIFTLESS_KUSTOMIZE === undefined) delete process.env.DRIFTLESS_KUSTOMIZE;
    if (saved.DRIFTLESS_HELM === undefined) delete process.env.DRIFTLESS_HELM;
  });

  it('takes the binary from DRIFTLESS_KUSTOMIZE when no option names one', async () => {
    process.env.DRIFTLESS_KUSTOMIZE = binaries.kustomize;
    const objects = await render(join(fixtures, 'kustomize/overlays/prod'), undefined, {
      namespace: 'team-a',
      kubeVersion: 'v1.36.3',
      containment,
    });
    expect(objects).toHaveLength(3);
  });

  it('says which variable to set when the binary is missing', async () => {
    process.env.DRIFTLESS_HELM = '/nonexistent/helm';
    const error = await render(join(fixtures, 'helm/guestbook'), undefined, {
      namespace: 'team-a',
      kubeVersion: 'v1.36.3',
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ToolNotFoundError);
    expect(error).toMatchObject({ code: 'TOOL_NOT_FOUND', tool: 'helm' });
    expect((error as Error).message).toBe(
      'helm binary not found (tried /nonexistent/helm): set DRIFTLESS_HELM to its path, pass binaries.helm, or put it on PATH',
    );
  });

  it('kills a renderer that runs too long or writes too much', async () => {
    const dir = join(fixtures, 'kustomize/overlays/prod');
    const slow = await render(dir, undefined, {
      ...options,
      binaries: { kustomize: script('echo working >&2; sleep 10') },
      tools: { timeoutMs: 300 },
    }).catch((e: unknown) => e);
    expect(slow).toMatchObject({ code: 'TOOL_TIMEOUT', stderr: 'working\n' });
    expect((slow as Error).message).toContain('kustomize did not finish within 300 ms');

    const chatty = await render(dir, undefined, {
      ...options,
      binaries: { kustomize: script('yes "# filler line"') },
      tools: { maxOutputBytes: 100_000 },
    }).catch((e: unknown) => e);
    expect(chatty).toMatchObject({ code: 'TOOL_OUTPUT_LIMIT' });
    expect((chatty as Error).message).toContain('wrote more than 100000 bytes');
  });
});
