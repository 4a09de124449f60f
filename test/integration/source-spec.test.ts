import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { SourceSpec } from '../../shared/source/index.ts';

const issues = (input: unknown): { path: PropertyKey[]; message: string }[] =>
  (SourceSpec.safeParse(input).error?.issues ?? []).map(({ path, message }) => ({
    path,
    message,
  }));

describe('SourceSpec', () => {
  it('defaults the revision to the remote HEAD and the path to the root', () => {
    expect(SourceSpec.parse({ repoURL: 'https://git.example.com/org/repo.git' })).toEqual({
      repoURL: 'https://git.example.com/org/repo.git',
      targetRevision: 'HEAD',
      path: '.',
    });
  });

  it('normalizes the path', () => {
    const parse = (path: string): string => SourceSpec.parse({ repoURL: 'https://h/r', path }).path;
    expect(parse('./apps//guestbook/')).toBe('apps/guestbook');
    expect(parse('apps/x/../guestbook')).toBe('apps/guestbook');
    expect(parse('./')).toBe('.');
  });

  it('refuses paths that leave the repository or are absolute', () => {
    expect(issues({ repoURL: 'https://h/r', path: '../secrets' })).toEqual([
      {
        path: ['path'],
        message: 'path must stay inside the repository (no ".." escaping the root)',
      },
    ]);
    expect(issues({ repoURL: 'https://h/r', path: 'apps/../../x' })[0]?.path).toEqual(['path']);
    expect(issues({ repoURL: 'https://h/r', path: '/etc' })).toEqual([
      { path: ['path'], message: 'path must be relative to the repository root, not absolute' },
    ]);
  });

  it('accepts only http(s) URLs without embedded credentials', () => {
    expect(issues({ repoURL: 'git@github.com:org/repo.git' })).toEqual([
      { path: ['repoURL'], message: 'repoURL must be an http:// or https:// URL' },
    ]);
    expect(issues({ repoURL: 'ssh://github.com/org/repo.git' })[0]?.path).toEqual(['repoURL']);
    expect(issues({ repoURL: 'https://bot:token@github.com/org/repo.git' })[0]?.message).toMatch(
      /must not embed credentials/,
    );
    expect(issues({ repoURL: 'http://127.0.0.1:8080/repo.git' })).toEqual([]);
  });

  it('refuses revisions that are not ref names or SHAs', () => {
    for (const targetRevision of ['', 'main..x', 'a b', 'feature/', 'x.lock', 'HEAD~1']) {
      expect(issues({ repoURL: 'https://h/r', targetRevision })[0]?.path).toEqual([
        'targetRevision',
      ]);
    }
    for (const targetRevision of [
      'main',
      'release/1.2',
      'v1.0.0',
      'refs/tags/v1',
      'a'.repeat(40),
    ]) {
      expect(issues({ repoURL: 'https://h/r', targetRevision })).toEqual([]);
    }
  });

  it('rejects unknown fields and composes into a larger schema with full paths', () => {
    const App = z.object({ spec: z.object({ source: SourceSpec }) });
    const result = App.safeParse({ spec: { source: { repoURL: 'https://h/r', branch: 'x' } } });
    expect(result.error?.issues[0]).toMatchObject({
      code: 'unrecognized_keys',
      path: ['spec', 'source'],
      keys: ['branch'],
    });
  });
});
