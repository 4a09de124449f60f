import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { pack, type Header } from 'tar-stream';
import { afterAll, describe, expect, it } from 'vitest';
import { extractLayer } from '../../shared/source/oci/extract.ts';

async function tarGz(
  entries: (Partial<Header> & { name: string; body?: string })[],
): Promise<Buffer> {
  const p = pack();
  for (const { body, ...header } of entries) p.entry(header, body ?? '');
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of p) chunks.push(chunk as Buffer);
  return gzipSync(Buffer.concat(chunks));
}

const limits = { maxFileBytes: 1024, maxTotalBytes: 4096, maxEntries: 50 };

describe('OCI layer extraction (hostile archives)', () => {
  const work = mkdtempSync(join(tmpdir(), 'driftless-oci-extract-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  let n = 0;
  const dest = () => join(work, 'trees', `t${n++}`);

  it('unpacks files and folders, skips links, and keeps nothing of a failed unpack', async () => {
    const to = dest();
    const { skipped } = await extractLayer(
      await tarGz([
        { name: 'app/', type: 'directory' },
        { name: './app/cm.yaml', body: 'kind: ConfigMap\n' },
        { name: 'app/passwd', type: 'symlink', linkname: '/etc/passwd' },
        { name: 'app/hard', type: 'link', linkname: 'app/cm.yaml' },
      ]),
      to,
      limits,
    );
    expect(readFileSync(join(to, 'app/cm.yaml'), 'utf8')).toBe('kind: ConfigMap\n');
    expect(existsSync(join(to, 'app/passwd'))).toBe(false);
    expect(skipped).toEqual(['app/passwd (a link)', 'app/hard (a link)']);
  });

  it.each([
    ['a ../ name', [{ name: '../escape.yaml', body: 'x' }], /would land outside the artifact/],
    [
      'a deep ../ name',
      [{ name: 'a/../../escape.yaml', body: 'x' }],
      /would land outside the artifact/,
    ],
    ['an absolute name', [{ name: '/etc/cron.d/x', body: 'x' }], /would land outside the artifact/],
    [
      'a device',
      [{ name: 'dev', type: 'character-device' as const }],
      /character-device entries are refused/,
    ],
    ['a file over the limit', [{ name: 'big', body: 'x'.repeat(2000) }], /over the limit of 1024/],
    [
      'too much in all',
      Array.from({ length: 6 }, (_, i) => ({ name: `f${i}`, body: 'x'.repeat(1000) })),
      /unpacks to more than 4096 bytes/,
    ],
    [
      'too many entries',
      Array.from({ length: 60 }, (_, i) => ({ name: `e${i}` })),
      /more than 50 entries/,
    ],
    [
      'the same name twice',
      [
        { name: 'a', body: '1' },
        { name: 'a', body: '2' },
      ],
      /EEXIST/,
    ],
  ])('refuses %s, leaving no folder behind', async (_what, entries, message) => {
    const to = dest();
    await expect(extractLayer(await tarGz(entries), to, limits)).rejects.toThrow(message);
    expect(existsSync(to)).toBe(false);
    expect(existsSync(join(work, 'escape.yaml'))).toBe(false);
    expect(existsSync(join(work, 'trees', 'escape.yaml'))).toBe(false);
  });

  it('stops a bomb of link entries (not file bytes) while inflating, and a corrupt gzip', async () => {
    const links = Array.from({ length: 40 }, (_, i) => ({
      name: `l${i}`,
      type: 'symlink' as const,
      linkname: 'x'.repeat(90),
      size: 0,
    }));
    const padded = await tarGz([...links, { name: 'pad', type: 'directory' as const }]);
    await expect(
      extractLayer(padded, dest(), { maxFileBytes: 10, maxTotalBytes: 10, maxEntries: 100 }),
    ).resolves.toBeDefined();
    await expect(extractLayer(Buffer.from('not gzip at all'), dest(), limits)).rejects.toThrow(
      /incorrect header check|unexpected end|invalid/i,
    );
    const zeros = gzipSync(Buffer.alloc(8 * 1024 * 1024));
    await expect(
      extractLayer(zeros, dest(), { maxFileBytes: 10, maxTotalBytes: 10, maxEntries: 1 }),
    ).rejects.toThrow(/inflates to more than/);
  });

  it('stops a gzip bomb while inflating, by the total limit', async () => {
    const to = dest();
    const bomb = await tarGz([{ name: 'zeros', body: '\0'.repeat(1_000_000) }]);
    expect(bomb.length).toBeLessThan(10_000);
    await expect(extractLayer(bomb, to, { ...limits, maxFileBytes: 2_000_000 })).rejects.toThrow(
      /unpacks to more than 4096 bytes/,
    );
  });
});
