import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { serveSecretFile } from '../../cli/serve-secret.ts';
import { repoRoot } from '../harness/tools.ts';

export const CLI = join(repoRoot, 'dist', 'cli', 'driftless.mjs');
const NODE = join(repoRoot, 'node_modules', '.bin', 'node');

const BUILD_LOCK = join(repoRoot, 'dist', '.cli-build.lock');
// A lock older than any build is a crashed test run's.
const STALE_LOCK_MS = 120_000;

/** Whether the bundle is newer than every file it is built from. */
function bundleIsFresh(): boolean {
  let bundle: number;
  try {
    bundle = statSync(CLI).mtimeMs;
  } catch {
    return false;
  }
  const sources = ['cli', 'shared', 'ui'].flatMap((dir) =>
    readdirSync(join(repoRoot, dir), { recursive: true, encoding: 'utf8' }).map((f) =>
      join(repoRoot, dir, f),
    ),
  );
  sources.push(join(repoRoot, 'package-lock.json'), join(repoRoot, 'scripts', 'build.ts'));
  return sources.every((f) => statSync(f).mtimeMs < bundle);
}

/** Runs `run` while no other test file builds (or packs) the CLI. */
export async function withBuildLock<T>(run: () => Promise<T>): Promise<T> {
  mkdirSync(dirname(BUILD_LOCK), { recursive: true });
  for (;;) {
    try {
      mkdirSync(BUILD_LOCK);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const age = Date.now() - (statSync(BUILD_LOCK, { throwIfNoEntry: false })?.mtimeMs ?? 0);
      if (age > STALE_LOCK_MS) rmSync(BUILD_LOCK, { recursive: true, force: true });
      else await sleep(100);
    }
  }
  try {
    return await run();
  } finally {
    rmSync(BUILD_LOCK, { recursive: true, force: true });
  }
}

let built: Promise<void> | undefined;

/**
 * Builds the CLI bundle, so tests always run what the sources say. Test files
 * run in parallel processes, and a build starts by emptying dist/cli: one
 * file's build would pull the bundle from under another file's running serve.
 * So builds take turns, and a bundle newer than its sources is not rebuilt.
 */
export function ensureCliBuilt(): Promise<void> {
  built ??= withBuildLock(async () => {
    if (bundleIsFresh()) return;
    await promisify(execFile)(NODE, [join(repoRoot, 'scripts', 'build.ts'), '--only=cli'], {
      cwd: repoRoot,
    });
    if (!statSync(CLI).isFile()) throw new Error(`build did not produce ${CLI}`);
  });
  return built;
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI as a user would, in `cwd`, and never throws on a non-zero exit. */
export async function driftless(
  args: string[],
  options: { cwd: string; env?: Record<string, string> },
): Promise<CliRun> {
  try {
    const { stdout, stderr } = await promisify(execFile)(NODE, [CLI, ...args], {
      cwd: options.cwd,
      env: { ...process.env, NO_COLOR: '1', ...options.env },
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw err;
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** Starts the CLI as a long-running process (serve); output is collected as it comes. */
export function startDriftless(
  args: string[],
  options: { cwd: string; env?: Record<string, string> },
): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(NODE, [CLI, ...args], {
    cwd: options.cwd,
    env: { ...process.env, NO_COLOR: '1', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout!.on('data', (d: Buffer) => (text += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (text += d.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  return { child, output: () => text, exited };
}

/** The port a starting `driftless serve` announces; throws with its output if it does not within `timeoutMs`. */
export async function servePort(
  serve: { output: () => string },
  timeoutMs = 10_000,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const port = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(serve.output())?.[1];
    if (port) return Number(port);
    if (Date.now() > deadline)
      throw new Error(`serve did not start within ${timeoutMs} ms:\n${serve.output()}`);
    await sleep(50);
  }
}

/** The header that carries the API secret a running serve keeps in its state folder. */
export function serveAuthorization(stateDir: string): { authorization: string } {
  return { authorization: `Bearer ${readFileSync(serveSecretFile(stateDir), 'utf8').trim()}` };
}
