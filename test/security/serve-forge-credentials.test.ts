import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { serveForge } from '../../cli/serve-forge.ts';

const dir = mkdtempSync(join(tmpdir(), 'driftless-forge-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function fileWith(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text, { mode: 0o600 });
  return file;
}

const errorOf = (credentialsFile: string, appUrl?: string): string => {
  try {
    serveForge({ credentialsFile, appUrl, log: () => {} });
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('serveForge accepted it');
};

describe('serve --forge-credentials: errors name the file and the field, never a token', () => {
  it('a file that is not JSON: the parser would quote the text near the fault, a token', () => {
    const file = fileWith(
      'broken.json',
      '{"https://git.example/": {"type": "gitea", "token": ghp_s3cr3t',
    );
    const message = errorOf(file);
    expect(message).toBe(`--forge-credentials ${file} is not valid JSON`);
  });

  it('a credential of the wrong shape: the field, not its value', () => {
    const file = fileWith(
      'shape.json',
      JSON.stringify({ 'https://git.example/': { type: 'gitea', secret: 'ghp_s3cr3t' } }),
    );
    const message = errorOf(file);
    expect(message).toMatch(/is not a map of URL prefix → forge credentials/);
    expect(message).not.toContain('ghp_s3cr3t');
  });

  it('a prefix over plain http to another host is refused before anything is sent', () => {
    const file = fileWith(
      'http.json',
      JSON.stringify({ 'http://git.example/': { type: 'gitea', token: 'ghp_s3cr3t' } }),
    );
    const message = errorOf(file);
    expect(message).toMatch(/plain http/);
    expect(message).not.toContain('ghp_s3cr3t');
  });

  it('a missing file names the file and the error code', () => {
    expect(errorOf(join(dir, 'absent.json'))).toBe(
      `--forge-credentials ${join(dir, 'absent.json')}: ENOENT`,
    );
  });

  it('an --app-url that is no http(s) URL is refused at start', () => {
    const file = fileWith('ok.json', '{}');
    expect(errorOf(file, 'driftless.example/#/apps/{app}')).toMatch(/^--app-url: /);
  });
});
