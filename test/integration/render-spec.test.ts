import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { RenderSpec } from '../../shared/render/index.ts';

const issues = (input: unknown): { path: PropertyKey[]; message: string }[] =>
  (RenderSpec.safeParse(input).error?.issues ?? []).map(({ path, message }) => ({
    path,
    message,
  }));

describe('RenderSpec', () => {
  it('fills defaults for each renderer', () => {
    expect(RenderSpec.parse({ directory: {} })).toEqual({ directory: { recurse: false } });
    expect(RenderSpec.parse({ kustomize: {} })).toEqual({ kustomize: {} });
    expect(RenderSpec.parse({ helm: {} })).toEqual({ helm: { valueFiles: [] } });
  });

  it('requires exactly one renderer', () => {
    expect(issues({})).toEqual([
      {
        path: [],
        message: 'render must name exactly one of directory, kustomize, helm (got none)',
      },
    ]);
    expect(issues({ directory: {}, helm: {} })[0]?.message).toBe(
      'render must name exactly one of directory, kustomize, helm (got directory, helm)',
    );
    expect(issues({ jsonnet: {} })[0]).toMatchObject({
      path: [],
      message: expect.stringMatching(/jsonnet/),
    });
  });

  it('validates helm fields with their paths', () => {
    expect(issues({ helm: { valueFiles: ['../secrets.yaml'] } })).toEqual([
      {
        path: ['helm', 'valueFiles', 0],
        message: 'value files must be paths inside the application directory (relative, no "..")',
      },
    ]);
    expect(issues({ helm: { valueFiles: ['/etc/values.yaml'] } })[0]?.path).toEqual([
      'helm',
      'valueFiles',
      0,
    ]);
    expect(issues({ helm: { releaseName: 'My_Release' } })[0]?.path).toEqual([
      'helm',
      'releaseName',
    ]);
    expect(issues({ helm: { releaseName: 'a'.repeat(54) } })[0]?.message).toMatch(/at most 53/);
    expect(issues({ helm: { kubeVersion: 'latest' } })[0]?.path).toEqual(['helm', 'kubeVersion']);
    expect(issues({ helm: { kubeVersion: 'v1.36.3' } })).toEqual([]);
  });

  it('accepts values as a mapping or as YAML text of a mapping', () => {
    expect(issues({ helm: { values: { replicas: 2 } } })).toEqual([]);
    expect(issues({ helm: { values: 'replicas: 2\nimage: {tag: x}\n' } })).toEqual([]);
    expect(issues({ helm: { values: '- a\n- b\n' } })).toEqual([
      { path: ['helm', 'values'], message: 'values must be a YAML mapping (key: value)' },
    ]);
    expect(issues({ helm: { values: 'a: [1' } })[0]?.message).toMatch(/^values is not valid YAML/);
    expect(issues({ helm: { values: 42 } })[0]?.path).toEqual(['helm', 'values']);
  });

  it('rejects unknown directory fields and composes with full paths', () => {
    const App = z.object({ spec: z.object({ render: RenderSpec.optional() }) });
    expect(App.parse({ spec: {} })).toEqual({ spec: {} });
    const result = App.safeParse({ spec: { render: { directory: { recursive: true } } } });
    expect(result.error?.issues[0]).toMatchObject({
      code: 'unrecognized_keys',
      path: ['spec', 'render', 'directory'],
      keys: ['recursive'],
    });
  });
});
