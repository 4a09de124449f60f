import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CliError } from './errors.ts';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Options every command that talks to a cluster or to state accepts. */
export const COMMON_OPTIONS = {
  output: { type: 'string', short: 'o', default: 'text' },
  state: { type: 'string' },
  table: { type: 'string' },
  'no-state': { type: 'boolean', default: false },
  'cache-dir': { type: 'string' },
} as const satisfies Options;

export const TARGET_OPTIONS = {
  file: { type: 'string', short: 'f' },
  app: { type: 'string' },
  config: { type: 'string', short: 'c' },
  kubeconfig: { type: 'string' },
  context: { type: 'string' },
  'eks-cluster': { type: 'string' },
  region: { type: 'string' },
  'role-arn': { type: 'string' },
} as const satisfies Options;

/** node:util parseArgs with errors that name the command, and `--output` checked. */
export function parse<O extends Options>(
  command: string,
  argv: string[],
  options: O,
  allowPositionals = 0,
) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options,
      allowPositionals: allowPositionals > 0,
      strict: true,
    });
  } catch (err) {
    throw new CliError(
      `driftless ${command}: ${(err as Error).message.replace(/\. To specify a positional.*$/s, '')}\nRun "driftless help ${command}" for usage.`,
    );
  }
  if (parsed.positionals.length > allowPositionals) {
    throw new CliError(
      `driftless ${command}: unexpected argument "${parsed.positionals[allowPositionals]}"`,
    );
  }
  const output = (parsed.values as { output?: unknown }).output;
  if (output !== undefined && output !== 'text' && output !== 'json') {
    throw new CliError(
      `driftless ${command}: --output must be "text" or "json", got "${String(output)}"`,
    );
  }
  return parsed;
}

/** `5m`, `90s`, `1h` → milliseconds. */
export function parseDuration(flag: string, value: string): number {
  const match = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(value);
  if (!match || value === '')
    throw new CliError(`${flag} must be a duration like 90s, 5m or 1h, got "${value}"`);
  const [, h, m, s] = match;
  return ((Number(h ?? 0) * 60 + Number(m ?? 0)) * 60 + Number(s ?? 0)) * 1000;
}
