import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { render, RenderError, type RenderIssue } from '../../shared/render/index.ts';

const options = { namespace: 'team-a', kubeVersion: 'v1.36.3' };
const dirs: string[] = [];

function appDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'driftless-render-test-'));
  dirs.push(dir);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

const configMap = (name: string, extra = ''): string =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n${extra}`;

async function issuesOf(dir: string, limits = {}): Promise<RenderIssue[]> {
  const error = await render(dir, undefined, { ...options, ...limits }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(RenderError);
  expect(error).toMatchObject({ code: 'INVALID_MANIFESTS' });
  return (error as RenderError).issues;
}

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('manifest validation', () => {
  it('names the file and document index of the one invalid document among 50', async () => {
    const documents = Array.from({ length: 50 }, (_, i) =>
      i === 37
        ? 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  labels: {a: b}\n'
        : configMap(`cm-${i}`),
    );
    const dir = appDir({ 'apps/many.yaml': documents.join('---\n') });
    const error = await render(dir, { directory: { recurse: true } }, options).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RenderError);
    expect((error as RenderError).issues).toEqual([
      {
        source: { file: 'apps/many.yaml', index: 37 },
        message: 'metadata.name must be a non-empty string',
      },
    ]);
    expect((error as Error).message).toContain(
      'apps/many.yaml, document 37: metadata.name must be a non-empty string',
    );
  });

  it('collects every problem of every file into one error', async () => {
    const dir = appDir({
      'a.yaml': [
        'kind: ConfigMap\nmetadata: {name: no-api-version}\n',
        'apiVersion: v1\nkind: ""\nmetadata: {name: empty-kind}\n',
        'apiVersion: v1\nkind: Pod\nmetadata: {generateName: worker-}\n',
        configMap('Not_Valid'),
        'apiVersion: v1\nkind: Service\nmetadata: {name: 1web}\n',
        'apiVersion: v1\nkind: Namespace\nmetadata: {name: a.b}\n',
        '- just\n- a list\n',
        'plain scalar\n',
        configMap('numeric-label', '  labels: {replicas: 3}\n'),
        configMap('bad-namespace', '  namespace: Team_A\n'),
      ].join('---\n'),
      'b.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [unclosed\n',
    });
    const issues = await issuesOf(dir);
    const at = (file: string, index: number): string[] =>
      issues
        .filter((i) => i.source?.file === file && i.source.index === index)
        .map((i) => i.message);
    expect(at('a.yaml', 0)).toEqual(['apiVersion must be a non-empty string']);
    expect(at('a.yaml', 1)).toEqual(['kind must be a non-empty string']);
    expect(at('a.yaml', 2)[0]).toMatch(/generateName is not supported: GitOps needs a stable name/);
    expect(at('a.yaml', 3)[0]).toMatch(/"Not_Valid" must be a DNS-1123 subdomain/);
    expect(at('a.yaml', 4)[0]).toMatch(/"1web" must be a DNS-1035 label for a Service/);
    expect(at('a.yaml', 5)[0]).toMatch(/"a.b" must be a DNS-1123 label for a Namespace/);
    expect(at('a.yaml', 6)).toEqual(['expected a Kubernetes object (a mapping), found a sequence']);
    expect(at('a.yaml', 7)).toEqual(['expected a Kubernetes object (a mapping), found a string']);
    expect(at('a.yaml', 8)[0]).toMatch(/metadata.labels.replicas must be a string, not a number/);
    expect(at('a.yaml', 9)[0]).toMatch(/metadata.namespace "Team_A" must be a DNS-1123 label/);
    expect(at('b.yaml', 0)[0]).toMatch(/^YAML syntax error/);
    expect(issues).toHaveLength(11);
  });

  it('reports a duplicate object with both places it is defined', async () => {
    const dir = appDir({
      'one.yaml': configMap('settings'),
      'two.yaml': `${configMap('other')}---\n${configMap('settings')}`,
      // Same name, other kind or other namespace: not duplicates.
      'three.yaml': `apiVersion: v1\nkind: Secret\nmetadata: {name: settings}\n---\n${configMap('settings', '  namespace: elsewhere\n')}`,
    });
    expect(await issuesOf(dir)).toEqual([
      {
        source: { file: 'two.yaml', index: 1 },
        message: 'duplicate ConfigMap team-a/settings: also defined at one.yaml, document 0',
      },
    ]);
  });

  it('counts an object without a namespace as being in the destination namespace', async () => {
    const dir = appDir({
      'a.yaml': configMap('settings'),
      'b.yaml': configMap('settings', '  namespace: team-a\n'),
    });
    const [issue] = await issuesOf(dir);
    expect(issue?.message).toBe(
      'duplicate ConfigMap team-a/settings: also defined at a.yaml, document 0',
    );
  });

  it('enforces the object size and object count limits', async () => {
    const big = configMap('big', `data:\n  blob: "${'x'.repeat(3000)}"\n`);
    const dir = appDir({
      'a.yaml': `${big}---\n${configMap('small')}---\n${configMap('small-2')}`,
    });
    const issues = await issuesOf(dir, { maxObjectBytes: 2048, maxObjects: 1 });
    expect(issues).toEqual([
      {
        source: { file: 'a.yaml', index: 0 },
        message: expect.stringMatching(
          /^object is 30\d\d bytes as JSON, over the 2048-byte limit$/,
        ),
      },
      {
        message:
          '2 objects rendered, over the limit of 1 per application (spec.limits.maxObjects); nothing is sent to the cluster',
      },
    ]);
    // The default limit is 1 MiB.
    const objects = await render(appDir({ 'a.yaml': big }), undefined, options);
    expect(objects).toHaveLength(1);
  });

  it('names the List item that is invalid', async () => {
    const dir = appDir({
      'list.yaml': `apiVersion: v1\nkind: List\nitems:\n  - ${configMap('ok').replaceAll('\n', '\n    ')}\n  - {apiVersion: v1, kind: ConfigMap, metadata: {}}\n`,
    });
    const error = await render(dir, undefined, options).catch((e: unknown) => e);
    expect((error as Error).message).toContain(
      'list.yaml, document 0, item 1: metadata.name must be a non-empty string',
    );
  });
});
