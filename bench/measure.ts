import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('..', import.meta.url));
/** The project's Node 24, as `npm run` gives it to every script. */
export const NODE = join(repoRoot, 'node_modules', '.bin', 'node');
const RSS_PROBE = join(repoRoot, 'bench', 'rss-probe.ts');

export interface Run {
  seconds: number;
  code: number | null;
  stdout: string;
  stderr: string;
  /** Peak RSS in MB; only for Node processes started with `measureRss`. */
  peakRssMb?: number;
}

export interface RunOptions {
  cwd?: string;
  env?: Record<string, string>;
  /** Preload bench/rss-probe.ts into a Node command to learn its peak RSS. */
  measureRss?: boolean;
}

/**
 * Runs a command to completion and times it from spawn to exit. Always
 * asynchronous: the git server runs in this process and must keep serving
 * while the command fetches from it.
 */
export async function run(command: string, args: string[], options: RunOptions = {}): Promise<Run> {
  const probeDir = options.measureRss ? mkdtempSync(join(tmpdir(), 'driftless-rss-')) : undefined;
  const rssFile = probeDir && join(probeDir, 'maxrss');
  const argv = rssFile ? ['--import', RSS_PROBE, ...args] : args;
  const started = performance.now();
  const child = spawn(command, argv, {
    cwd: options.cwd ?? repoRoot,
    env: {
      ...process.env,
      NO_COLOR: '1',
      ...options.env,
      ...(rssFile ? { DRIFTLESS_BENCH_RSS_FILE: rssFile } : {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (c) => resolve(c));
  });
  const seconds = (performance.now() - started) / 1000;
  let peakRssMb: number | undefined;
  if (probeDir && rssFile) {
    try {
      // maxRSS is in kilobytes.
      peakRssMb = Number(readFileSync(rssFile, 'utf8')) / 1024;
    } catch {
      peakRssMb = undefined;
    }
    rmSync(probeDir, { recursive: true, force: true });
  }
  return { seconds, code, stdout, stderr, ...(peakRssMb !== undefined ? { peakRssMb } : {}) };
}

/** Like run(), but a non-zero exit is an error that shows what the command said. */
export async function runOk(
  command: string,
  args: string[],
  options: RunOptions = {},
): Promise<Run> {
  const result = await run(command, args, options);
  if (result.code !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} exited ${result.code}:\n${(result.stderr || result.stdout).slice(-3000)}`,
    );
  }
  return result;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
