import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { z } from 'zod';
import { repoRoot } from '../measure.ts';

/**
 * Flux's apply engine as a benchmark peer: bench/peers/flux-apply, a Go
 * program on github.com/fluxcd/pkg/ssa that applies a folder the way
 * kustomize-controller does (ApplyAllStaged, default options).
 */
export const FLUX_APPLY = join(repoRoot, '.tools', 'bin', 'flux-apply');

const counts = {
  created: z.number().int().nonnegative(),
  configured: z.number().int().nonnegative(),
  unchanged: z.number().int().nonnegative(),
  skipped: z.number().int().nonnegative(),
};

const fluxOutput = z.object({
  /** Wall time of the ApplyAllStaged call(s), summed over --repeat. */
  seconds: z.number().nonnegative(),
  /** Objects read from the folder. */
  objects: z.number().int().nonnegative(),
  /** created + configured of the last run (kustomize-controller's HasChanged). */
  changed: z.number().int().nonnegative(),
  /** The counts below are those of the last run. */
  ...counts,
  /** Each ApplyAllStaged call in order. */
  runs: z.array(z.object({ seconds: z.number().nonnegative(), ...counts })).min(1),
  /** Client rate limit: -1/-1 (none) under API Priority and Fairness, else 50/300 like kustomize-controller. */
  qps: z.number(),
  burst: z.number().int(),
});

export type FluxResult = z.infer<typeof fluxOutput> & {
  /** Spawn to exit, including process start, reading and parsing, client setup. */
  processSeconds: number;
};

export interface FluxOptions {
  kubeconfig: string;
  /** Folder of *.yaml / *.yml files (multi-document), not recursive. */
  dir: string;
  /** Namespace for namespaced objects that name none (like a Kustomization's targetNamespace). */
  namespace?: string;
  /** ApplyAllStaged calls in a row in one process (default 1). */
  repeat?: number;
}

const run = promisify(execFile);

/** Applies `dir` with Flux's engine; rejects naming the folder and the program's stderr. */
export async function fluxApply(options: FluxOptions): Promise<FluxResult> {
  const args = ['--kubeconfig', options.kubeconfig, '--dir', options.dir];
  if (options.namespace) args.push('--namespace', options.namespace);
  if (options.repeat !== undefined) args.push('--repeat', String(options.repeat));
  const started = performance.now();
  let stdout: string;
  try {
    ({ stdout } = await run(FLUX_APPLY, args, { maxBuffer: 16 * 1024 * 1024 }));
  } catch (error) {
    const { stderr, code } = error as { stderr?: string; code?: number | string };
    const reason = stderr?.trim() || (error as Error).message;
    throw new Error(`flux-apply of ${options.dir} failed (exit ${code}): ${reason.slice(-3000)}`, {
      cause: error,
    });
  }
  const processSeconds = (performance.now() - started) / 1000;
  let json: unknown;
  try {
    json = JSON.parse(stdout);
  } catch (error) {
    throw new Error(`flux-apply of ${options.dir} printed no JSON: ${stdout.slice(0, 500)}`, {
      cause: error,
    });
  }
  const parsed = fluxOutput.safeParse(json);
  if (!parsed.success) {
    throw new Error(
      `flux-apply of ${options.dir} printed unexpected JSON: ${parsed.error.message}`,
    );
  }
  return { ...parsed.data, processSeconds };
}

/**
 * Builds flux-apply (cached by ssa version and source hash: instant when
 * built, a few minutes cold) with test/harness/build-tools.sh, passing its
 * progress lines to `log`.
 */
export async function buildFluxApply(log: (message: string) => void): Promise<string> {
  const script = join(repoRoot, 'test', 'harness', 'build-tools.sh');
  const child = spawn('nice', ['-n', '10', 'bash', script, 'flux-apply'], {
    cwd: repoRoot,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let tail = '';
  let pending = '';
  child.stderr.on('data', (data: Buffer) => {
    const text = pending + data.toString();
    const lines = text.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) if (line.trim()) log(line.replace(/^\[build-tools\] /, ''));
    tail = (tail + data.toString()).slice(-3000);
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  if (code !== 0) throw new Error(`building flux-apply failed (exit ${code}):\n${tail}`);
  return FLUX_APPLY;
}
