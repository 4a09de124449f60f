import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { serveLogin, SESSION_MS } from '../../cli/serve-login.ts';
import { loadUiFiles } from '../../cli/serve-ui-files.ts';
import { conditional } from '../../shared/api/etag.ts';
import { ownerTree } from '../../shared/api/owner-tree.ts';
import type { LiveObject } from '../../shared/api/types.ts';
import { parseUnified, sideBySide } from '../../ui/src/diff/parse-diff.ts';

const object = (kind: string, name: string, uid: string, owners: string[] = []): LiveObject => ({
  apiVersion: 'v1',
  kind,
  namespace: 'ns',
  name,
  live: true,
  uid,
  owners,
  health: { status: 'Healthy' },
});

describe('ownerTree', () => {
  it('hangs each object under its owner, Deployment → ReplicaSet → Pod, and keeps the rest as sorted roots', () => {
    const tree = ownerTree([
      object('Service', 'web', 's1'),
      object('Pod', 'web-abc-2', 'p2', ['r1']),
      object('Deployment', 'web', 'd1'),
      object('ReplicaSet', 'web-abc', 'r1', ['d1']),
      object('Pod', 'web-abc-1', 'p1', ['r1']),
      { ...object('ConfigMap', 'gone', ''), live: false, uid: undefined },
    ]);
    expect(tree.map((n) => `${n.kind}/${n.name}`)).toEqual([
      'ConfigMap/gone',
      'Deployment/web',
      'Service/web',
    ]);
    const replicaSet = tree[1]!.children[0]!;
    expect(replicaSet.name).toBe('web-abc');
    expect(replicaSet.children.map((p) => p.name)).toEqual(['web-abc-1', 'web-abc-2']);
    expect(JSON.stringify(tree)).not.toContain('owners');
  });
});

describe('conditional (ETag)', () => {
  const answer = { statusCode: 200, body: { apps: [1, 2] } };
  it('answers 304 without a body to the ETag of the same body, and 200 with it to anything else', () => {
    const first = conditional(answer, undefined);
    const etag = first.headers!.etag!;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
    expect(conditional(answer, etag)).toEqual({
      statusCode: 304,
      body: undefined,
      headers: first.headers,
    });
    expect(conditional(answer, `W/${etag}, "other"`).statusCode).toBe(304);
    expect(conditional({ ...answer, body: { apps: [1] } }, etag).statusCode).toBe(200);
    expect(conditional({ statusCode: 404, body: { message: 'x' } }, etag).statusCode).toBe(404);
  });
});

describe('serveLogin', () => {
  it('redeems a code once, accepts the secret, and expires sessions', () => {
    let now = 1_000;
    const login = serveLogin({ port: 8080, secret: 'run-secret', now: () => now });
    const code = login.newCode();
    const session = login.redeem({ code });
    expect(session).toBeDefined();
    expect(login.redeem({ code })).toBeUndefined();
    expect(login.redeem({ secret: 'wrong' })).toBeUndefined();
    expect(login.redeem({ secret: 'run-secret' })).toBeDefined();
    expect(login.hasSession(`a=b; driftless-session-8080=${session}`)).toBe(true);
    expect(login.hasSession(`driftless-session-9090=${session}`)).toBe(false);
    expect(login.hasSession(undefined)).toBe(false);
    now += SESSION_MS;
    expect(login.hasSession(`driftless-session-8080=${session}`)).toBe(false);
  });
});

describe('loadUiFiles', () => {
  it('keys the build by URL path, with types and immutability, and is undefined without a build', () => {
    const dir = mkdtempSync(join(tmpdir(), 'driftless-ui-files-'));
    try {
      expect(loadUiFiles(dir)).toBeUndefined();
      mkdirSync(join(dir, 'assets'));
      writeFileSync(join(dir, 'index.html'), '<!doctype html>');
      writeFileSync(join(dir, 'assets', 'index-abc.js'), 'x');
      writeFileSync(join(dir, 'assets', 'notes.txt'), 'not served');
      const files = loadUiFiles(dir)!;
      expect([...files.keys()].sort()).toEqual(['/assets/index-abc.js', '/index.html']);
      expect(files.get('/assets/index-abc.js')).toMatchObject({
        contentType: 'text/javascript; charset=utf-8',
        immutable: true,
      });
      expect(files.get('/index.html')?.immutable).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the side-by-side diff', () => {
  it('faces each removed line with the added line after it, and keeps context on both sides', () => {
    const unified = [
      '--- live/x',
      '+++ desired/x',
      '@@ -1,3 +1,3 @@',
      ' spec:',
      '-  replicas: 1',
      '+  replicas: 2',
      '+  paused: false',
      ' x: y',
      '',
    ].join('\n');
    const lines = parseUnified(unified);
    expect(lines.map((l) => l.kind)).toEqual([
      'hunk',
      'context',
      'removed',
      'added',
      'added',
      'context',
    ]);
    expect(sideBySide(lines).map((r) => [r.left?.text, r.right?.text])).toEqual([
      ['@@ -1,3 +1,3 @@', '@@ -1,3 +1,3 @@'],
      ['spec:', 'spec:'],
      ['  replicas: 1', '  replicas: 2'],
      [undefined, '  paused: false'],
      ['x: y', 'x: y'],
    ]);
  });
});
