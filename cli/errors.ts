/** Exit codes, documented in the README; scripts may rely on them. */
export const EXIT = {
  ok: 0,
  /** `diff --exit-code` found differences. */
  outOfSync: 1,
  /** Bad usage or configuration: a flag, a missing file, an invalid field. */
  usage: 2,
  /** The diff or sync itself failed: source, render, validation, cluster, permission. */
  failed: 3,
  /** Another reconcile of the same application holds its lease. */
  busy: 4,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error meant for a person: its message is printed as is, without a stack. */
export class CliError extends Error {
  readonly exitCode: ExitCode;
  constructor(message: string, exitCode: ExitCode = EXIT.usage) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

/**
 * Adds what a person at the CLI can do about an engine error: a full cache
 * folder (the engine names the folder, not the option that moves it).
 */
export function withCliHints(message: string): string {
  return message.replace(
    /(no space left in the cache folder .*)$/m,
    '$1 (set --cache-dir to a folder with more room)',
  );
}
