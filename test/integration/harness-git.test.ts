import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as git from 'isomorphic-git';
import http from 'isomorphic-git/http/node';
import { afterAll, describe, expect, it } from 'vitest';
import { uniqueName } from '../harness/context.ts';
import { commitTree } from '../harness/git-fixtures.ts';
import { startGitServer, type GitServer } from '../harness/git-server.ts';

describe('git http-backend server', () => {
  const dirs: string[] = [];
  const tempDir = (): string => {
    const d = mkdtempSync(join(tmpdir(), 'driftless-git-test-'));
    dirs.push(d);
    return d;
  };
  let server: GitServer | undefined;
  const getServer = async (): Promise<GitServer> => (server ??= await startGitServer());
  afterAll(async () => {
    await server?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('accepts a push from native git and serves it to an isomorphic-git clone', async () => {
    const s = await getServer();
    const name = uniqueName('pushed');
    const url = s.createRepo(name);
    const work = tempDir();
    const env = {
      ...process.env,
      GIT_AUTHOR_NAME: 't',
      GIT_AUTHOR_EMAIL: 't@example.com',
      GIT_COMMITTER_NAME: 't',
      GIT_COMMITTER_EMAIL: 't@example.com',
    };
    const run = (...args: string[]): string =>
      execFileSync('git', args, { cwd: work, env, encoding: 'utf8' }).trim();
    run('init', '--quiet', '--initial-branch=main');
    writeFileSync(join(work, 'app.yaml'), 'kind: ConfigMap\n');
    run('add', '.');
    run('commit', '--quiet', '-m', 'first');
    const sha = run('rev-parse', 'HEAD');
    // Asynchronously: the server runs in this process, so a blocking call would deadlock it.
    await promisify(execFile)('git', ['push', '--quiet', url, 'main'], { cwd: work, env });

    const clone = tempDir();
    await git.clone({
      fs: await import('node:fs'),
      http,
      dir: clone,
      url,
      singleBranch: true,
      depth: 1,
    });
    expect(await git.resolveRef({ fs: await import('node:fs'), dir: clone, ref: 'HEAD' })).toBe(
      sha,
    );
    expect(readFileSync(join(clone, 'app.yaml'), 'utf8')).toBe('kind: ConfigMap\n');
    expect(s.requests(name).receivePack).toBe(1);
  });

  it('answers 401 to wrong credentials and serves the right ones', async () => {
    const s = await getServer();
    const name = uniqueName('private');
    const url = s.createRepo(name, { auth: { username: 'bot', password: 's3cret' } });
    const sha = commitTree(s.repoPath(name), 'main', { 'a.txt': 'hello\n' });
    const fs = await import('node:fs');
    await expect(
      git.clone({
        fs,
        http,
        dir: tempDir(),
        url,
        onAuth: () => ({ username: 'bot', password: 'wrong' }),
      }),
    ).rejects.toMatchObject({ code: 'HttpError', data: { statusCode: 401 } });
    const refs = await git.listServerRefs({
      http,
      url,
      onAuth: () => ({ username: 'bot', password: 's3cret' }),
    });
    expect(refs.find((r) => r.ref === 'refs/heads/main')?.oid).toBe(sha);
  });
});
