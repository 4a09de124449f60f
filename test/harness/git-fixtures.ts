import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** File path (relative, `/`-separated) to content (text or bytes), or to a symbolic link's text. */
export type FileTree = Record<string, string | Buffer | { link: string }>;

const identity = {
  GIT_AUTHOR_NAME: 'Driftless Test',
  GIT_AUTHOR_EMAIL: 'test@driftless.dev',
  GIT_COMMITTER_NAME: 'Driftless Test',
  GIT_COMMITTER_EMAIL: 'test@driftless.dev',
};

/**
 * Makes `branch` of the bare repository point at a new commit whose tree is
 * exactly `files` (or the contents of a directory), parented on the branch's
 * previous head. Returns the commit SHA.
 */
export function commitTree(
  bareRepo: string,
  branch: string,
  files: FileTree | { dir: string },
  message = 'update',
): string {
  const tmp = mkdtempSync(join(tmpdir(), 'driftless-fixture-'));
  try {
    const work = join(tmp, 'work');
    mkdirSync(work);
    if ('dir' in files && typeof files.dir === 'string') {
      cpSync(files.dir, work, { recursive: true });
    } else {
      for (const [path, content] of Object.entries(files as FileTree)) {
        mkdirSync(dirname(join(work, path)), { recursive: true });
        if (typeof content === 'string' || Buffer.isBuffer(content))
          writeFileSync(join(work, path), content);
        else symlinkSync(content.link, join(work, path));
      }
    }
    const env = {
      ...process.env,
      ...identity,
      GIT_DIR: bareRepo,
      GIT_WORK_TREE: work,
      GIT_INDEX_FILE: join(tmp, 'index'),
    };
    const git = (...args: string[]): string =>
      execFileSync('git', args, { env, encoding: 'utf8' }).trim();
    git('add', '--all', '.');
    const tree = git('write-tree');
    let parent: string | undefined;
    try {
      parent = git('rev-parse', '--verify', '--quiet', `refs/heads/${branch}`);
    } catch {
      parent = undefined;
    }
    const commit = git('commit-tree', tree, ...(parent ? ['-p', parent] : []), '-m', message);
    git('update-ref', `refs/heads/${branch}`, commit);
    return commit;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Creates a lightweight tag in the bare repository. */
export function tagCommit(bareRepo: string, tag: string, commit: string): void {
  execFileSync('git', ['--git-dir', bareRepo, 'tag', tag, commit]);
}
