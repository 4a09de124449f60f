import { spawn } from 'node:child_process';
import { TOOL_ENV, ToolNotFoundError, ToolRunError, type Tool } from './errors.ts';

export interface ToolLimits {
  /** Default 60 s. */
  timeoutMs?: number;
  /** Largest stdout accepted (and, for a directory render, the files read). Default 64 MiB. */
  maxOutputBytes?: number;
}

export const DEFAULT_MAX_OUTPUT_BYTES = 64 * 1024 * 1024;

export interface ToolInvocation extends ToolLimits {
  tool: Tool;
  binary: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
}

const STDERR_TAIL = 64 * 1024;

/** Explicit option, then `DRIFTLESS_<TOOL>`, then the bare name for a PATH lookup. */
export function resolveBinary(tool: Tool, explicit: string | undefined): string {
  return explicit ?? process.env[TOOL_ENV[tool]] ?? tool;
}

/** Runs a renderer binary with a deadline and a bounded output; resolves with its stdout. */
export function runTool(run: ToolInvocation): Promise<string> {
  const timeoutMs = run.timeoutMs ?? 60_000;
  const maxOutputBytes = run.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  return new Promise((resolve, reject) => {
    const child = spawn(run.binary, run.args, {
      cwd: run.cwd,
      env: run.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, so a kill also reaches what it started (kustomize runs git):
      // a surviving grandchild would hold the pipes open and the run would never end.
      detached: true,
    });
    const stdout: Buffer[] = [];
    let stdoutBytes = 0;
    let stderr = '';
    let stopped: 'TOOL_TIMEOUT' | 'TOOL_OUTPUT_LIMIT' | undefined;
    const stop = (why: typeof stopped): void => {
      stopped ??= why;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // The group is already gone.
      }
    };
    const timer = setTimeout(() => stop('TOOL_TIMEOUT'), timeoutMs);

    child.stdout.on('data', (chunk: Buffer) => {
      stdoutBytes += chunk.length;
      if (stdoutBytes > maxOutputBytes) stop('TOOL_OUTPUT_LIMIT');
      else stdout.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_TAIL);
    });
    child.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (error.code === 'ENOENT' || error.code === 'EACCES') {
        reject(new ToolNotFoundError(run.tool, run.binary));
      } else {
        reject(
          new ToolRunError('TOOL_FAILED', run.tool, `could not start: ${error.message}`, null, ''),
        );
      }
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (stopped === 'TOOL_TIMEOUT') {
        reject(
          new ToolRunError(
            stopped,
            run.tool,
            `did not finish within ${timeoutMs} ms`,
            code,
            stderr,
          ),
        );
      } else if (stopped === 'TOOL_OUTPUT_LIMIT') {
        reject(
          new ToolRunError(
            stopped,
            run.tool,
            `wrote more than ${maxOutputBytes} bytes (spec.limits.maxRenderedBytes)`,
            code,
            stderr,
          ),
        );
      } else if (code !== 0) {
        const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
        reject(new ToolRunError('TOOL_FAILED', run.tool, how, code, stderr));
      } else {
        resolve(Buffer.concat(stdout).toString('utf8'));
      }
    });
  });
}
