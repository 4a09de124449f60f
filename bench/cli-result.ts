import type { Run } from './measure.ts';

/** The parts of `driftless sync|diff -o json` the benchmark reads. */
export interface CliResult {
  status: string;
  error?: string;
  counts: Record<string, number>;
  timings: Record<string, number>;
}

/** Parses the CLI's JSON result, failing with what it printed when the run did not succeed. */
export function cliResult(run: Run, what: string): CliResult {
  let parsed: CliResult;
  try {
    parsed = JSON.parse(run.stdout) as CliResult;
  } catch {
    throw new Error(`${what}: exit ${run.code}, no JSON result:\n${run.stderr.slice(-3000)}`);
  }
  if (parsed.status === 'Failed') throw new Error(`${what}: ${parsed.error}`);
  return parsed;
}

/** Phase timings in seconds, for the notes: where our time went. */
export function phases(result: CliResult): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, ms] of Object.entries(result.timings)) {
    if (ms > 0) out[key.replace(/Ms$/, '_s')] = Number((ms / 1000).toFixed(3));
  }
  return out;
}
