import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { renderWithCache, type RenderInputs } from '../../shared/render/render-cache.ts';
import type { RenderedObject } from '../../shared/render/types.ts';

describe('render cache', () => {
  const key = randomBytes(32);
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
    apiVersions: null,
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
    expect(await renderWithCache(dir, inputs, render, key)).toEqual({ objects, cached: false });
    expect(await renderWithCache(dir, inputs, render, key)).toEqual({ objects, cached: true });
    expect(renders).toBe(1);
    await renderWithCache(dir, { ...inputs, revision: 'b'.repeat(40) }, render, key);
    await renderWithCache(
      dir,
      { ...inputs, revision: 'b'.repeat(40), spec: { helm: { values: { x: 1 } } } },
      render,
      key,
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
      key,
    );
    expect(renders).toBe(4);
    // One file per application, overwritten by each new render.
    expect(readdirSync(join(dir, 'renders')).filter((f) => f.endsWith('.json'))).toHaveLength(1);
  });

  it('re-renders over a damaged entry and never caches a failed render', async () => {
    const other = { ...inputs, app: 'other' };
    await renderWithCache(dir, other, async () => objects, key);
    for (const f of readdirSync(join(dir, 'renders')))
      writeFileSync(join(dir, 'renders', f), '{"key": trunc');
    expect(await renderWithCache(dir, other, async () => objects, key)).toEqual({
      objects,
      cached: false,
    });
    const failing = { ...inputs, app: 'failing' };
    await expect(
      renderWithCache(dir, failing, async () => Promise.reject(new Error('bad manifest')), key),
    ).rejects.toThrow('bad manifest');
    let called = false;
    await renderWithCache(dir, failing, async () => ((called = true), objects), key);
    expect(called).toBe(true);
  });

  it('keeps no Secret value in the file: Secrets are sealed, and another key renders again', async () => {
    const value = 'c2VjcmV0LXZhbHVlLWluLWJhc2U2NA==';
    const withSecret: RenderedObject[] = [
      ...objects,
      {
        object: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { p: value } },
        source: { file: 's.yaml', index: 0 },
      },
      {
        object: { ...objects[0]!.object, metadata: { name: 'y' } },
        source: { file: 'y.yaml', index: 0 },
      },
    ];
    const sealed = { ...inputs, app: 'sealed' };
    let renders = 0;
    const render = async () => (renders++, structuredClone(withSecret));
    await renderWithCache(dir, sealed, render, key);
    const files = readdirSync(join(dir, 'renders')).map((f) =>
      readFileSync(join(dir, 'renders', f), 'utf8'),
    );
    expect(files.join('')).not.toContain(value);
    expect(files.join('')).not.toContain(Buffer.from(value, 'base64').toString());
    // The same key (a later process with the CLI's key) gets the whole render back, in order.
    expect(await renderWithCache(dir, sealed, render, Buffer.from(key))).toEqual({
      objects: withSecret,
      cached: true,
    });
    expect(renders).toBe(1);
    // Another key cannot open the sealed part: render again.
    expect((await renderWithCache(dir, sealed, render, randomBytes(32))).cached).toBe(false);
    expect(renders).toBe(2);
  });

  it('renders again when the file was edited: the sealed part authenticates the whole entry', async () => {
    const edited = { ...inputs, app: 'edited' };
    let renders = 0;
    const render = async () => (renders++, structuredClone(objects));
    await renderWithCache(dir, edited, render, key);
    for (const f of readdirSync(join(dir, 'renders'))) {
      const path = join(dir, 'renders', f);
      writeFileSync(path, readFileSync(path, 'utf8').replaceAll('"a":"1"', '"a":"planted"'));
    }
    expect(await renderWithCache(dir, edited, render, key)).toEqual({ objects, cached: false });
    expect(renders).toBe(2);
  });
});
