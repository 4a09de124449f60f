import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { renderWithCache, type RenderInputs } from '../../shared/render/render-cache.ts';
import type { RenderedObject } from '../../shared/render/types.ts';

describe('render cache', () => {
  const dir = mkdtempSync(join(tmpdir(), 'driftless-render-cache-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const inputs: RenderInputs = {
    repoURL: 'https://git.example/r.git',
    revision: 'a'.repeat(40),
    path: 'apps/web',
    app: 'web',
    spec: null,
    namespace: 'web',
    kubeVersion: 'v1.36.3',
    binaries: [],
  };
  const objects: RenderedObject[] = [
    {
      object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, data: { a: '1' } },
      source: { file: 'cm.yaml', index: 0 },
    },
  ];

  it('renders once per commit and input set, and again when any input changes', async () => {
    let renders = 0;
    const render = async () => {
      renders++;
      return structuredClone(objects);
    };
    expect(await renderWithCache(dir, inputs, render)).toEqual({ objects, cached: false });
    expect(await renderWithCache(dir, inputs, render)).toEqual({ objects, cached: true });
    expect(renders).toBe(1);
    await renderWithCache(dir, { ...inputs, revision: 'b'.repeat(40) }, render);
    await renderWithCache(
      dir,
      { ...inputs, revision: 'b'.repeat(40), spec: { helm: { values: { x: 1 } } } },
      render,
    );
    await renderWithCache(
      dir,
      {
        ...inputs,
        revision: 'b'.repeat(40),
        spec: { helm: { values: { x: 1 } } },
        kubeVersion: 'v1.37.0',
      },
      render,
    );
    expect(renders).toBe(4);
    // One file per application, overwritten by each new render.
    expect(readdirSync(join(dir, 'renders')).filter((f) => f.endsWith('.json'))).toHaveLength(1);
  });

  it('re-renders over a damaged entry and never caches a failed render', async () => {
    const other = { ...inputs, app: 'other' };
    await renderWithCache(dir, other, async () => objects);
    for (const f of readdirSync(join(dir, 'renders')))
      writeFileSync(join(dir, 'renders', f), '{"key": trunc');
    expect(await renderWithCache(dir, other, async () => objects)).toEqual({
      objects,
      cached: false,
    });
    const failing = { ...inputs, app: 'failing' };
    await expect(
      renderWithCache(dir, failing, async () => Promise.reject(new Error('bad manifest'))),
    ).rejects.toThrow('bad manifest');
    let called = false;
    await renderWithCache(dir, failing, async () => ((called = true), objects));
    expect(called).toBe(true);
  });
});
