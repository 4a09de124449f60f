import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { render, type RenderedObject } from '../../shared/render/index.ts';
import { repoRoot } from '../harness/tools.ts';

const fixture = join(repoRoot, 'test/fixtures/render/directory');
const options = { namespace: 'team-a', kubeVersion: 'v1.36.3' };

/** `file#index[.item] Kind/name` per object, in output order. */
const summary = (objects: RenderedObject[]): string[] =>
  objects.map(
    ({ object, source }) =>
      `${source.file}#${source.index}${source.item === undefined ? '' : `.${source.item}`} ${object.kind}/${object.metadata.name}`,
  );

describe('directory render', () => {
  it('reads YAML and JSON, multi-document files and List kinds, in sorted file order', async () => {
    const objects = await render(fixture, undefined, options);
    expect(summary(objects)).toEqual([
      // Documents 1 and 2 are empty or only a comment: skipped, but they keep their index.
      'configmaps.yaml#0 ConfigMap/first',
      'configmaps.yaml#3 ConfigMap/second',
      'list.yaml#0.0 ServiceAccount/runner',
      'list.yaml#0.1 Role/system:runner',
      'list.yaml#1.0 ConfigMap/from-typed-list',
      'service.json#0 Service/web',
    ]);
  });

  it('keeps objects exactly as written: plain JSON, no namespace or labels added', async () => {
    const [first, second] = await render(fixture, { directory: { recurse: false } }, options);
    expect(first!.object).toEqual({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'first' },
      data: { greeting: 'hello' },
    });
    expect(second!.object.metadata).toEqual({ name: 'second', labels: { tier: 'web' } });
    expect(JSON.parse(JSON.stringify(second!.object))).toEqual(second!.object);
  });

  it('recurses into subdirectories only when asked, and never into dot-directories', async () => {
    const objects = await render(fixture, { directory: { recurse: true } }, options);
    expect(summary(objects)).toEqual([
      'configmaps.yaml#0 ConfigMap/first',
      'configmaps.yaml#3 ConfigMap/second',
      'list.yaml#0.0 ServiceAccount/runner',
      'list.yaml#0.1 Role/system:runner',
      'list.yaml#1.0 ConfigMap/from-typed-list',
      'nested/deeper/secret.yaml#0 Secret/deep',
      'nested/deployment.yml#0 Deployment/web',
      'service.json#0 Service/web',
    ]);
  });

  it('matches include and exclude globs against the path relative to the app directory', async () => {
    const only = await render(
      fixture,
      { directory: { recurse: true, include: '**/*.{yml,json}' } },
      options,
    );
    expect(summary(only)).toEqual([
      'nested/deployment.yml#0 Deployment/web',
      'service.json#0 Service/web',
    ]);

    const topLevelYaml = await render(
      fixture,
      { directory: { recurse: true, include: '*.yaml', exclude: 'list.yaml' } },
      options,
    );
    expect(summary(topLevelYaml)).toEqual([
      'configmaps.yaml#0 ConfigMap/first',
      'configmaps.yaml#3 ConfigMap/second',
    ]);

    const withoutNested = await render(
      fixture,
      { directory: { recurse: true, exclude: 'nested/**' } },
      options,
    );
    expect(summary(withoutNested).some((line) => line.startsWith('nested/'))).toBe(false);
    expect(withoutNested).toHaveLength(6);
  });
});
