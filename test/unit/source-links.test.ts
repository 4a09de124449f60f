import { describe, expect, it } from 'vitest';
import { refusedLinks, type TreeNode } from '../../shared/source/links.ts';

const tree = (entries: Record<string, string | null>): Map<string, TreeNode> =>
  new Map(
    Object.entries(entries)
      .map(([path, link]) => [
        path,
        link === null
          ? { type: path.endsWith('/') ? 'tree' : 'blob' }
          : { type: 'link', target: link },
      ])
      .map(([path, node]) => [String(path).replace(/\/$/, ''), node as TreeNode]),
  );

describe('refusedLinks (resolution on the Git tree)', () => {
  it('keeps links that stay inside, also through links to folders', () => {
    const nodes = tree({
      'a/': null,
      'a/f': null,
      'b/': null,
      'b/up': '..',
      'b/l': 'up/a/f',
      top: 'a',
    });
    expect(refusedLinks(nodes)).toEqual([]);
  });

  it('refuses absolute targets, climbs out, loops and climbs through names that are no folder', () => {
    const nodes = tree({
      'a/': null,
      'a/f': null,
      abs: '/etc/passwd',
      out: '../x',
      loop1: 'loop2',
      loop2: 'loop1',
      // On a case-insensitive file system `A` could be a link elsewhere.
      ghost: 'A/..',
      file: 'a/f/../..',
    });
    expect(refusedLinks(nodes).map((l) => l.path)).toEqual([
      'abs',
      'file',
      'ghost',
      'loop1',
      'loop2',
      'out',
    ]);
  });
});
