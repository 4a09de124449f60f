import { readFileSync } from 'node:fs';
import { enableCompileCache } from 'node:module';
import { ConfigError } from '../shared/config/errors.ts';
import { CliError, EXIT, type ExitCode } from './errors.ts';
import {
  DIFF_USAGE,
  HISTORY_USAGE,
  ROLLBACK_USAGE,
  SERVE_USAGE,
  STATUS_USAGE,
  SUSPEND_USAGE,
  SYNC_USAGE,
} from './usage.ts';

const USAGE = `driftless: GitOps for Kubernetes, without an always-on controller

Usage: driftless COMMAND [options]

Commands:
  diff       show what a sync would change (secrets masked)
  sync       apply an application to its cluster
  status     list applications with sync status and health
  history    show an application's syncs
  rollback   re-sync an earlier revision
  suspend    stop automated syncs of an application
  resume     start them again
  serve      local mode: scheduler, webhooks, API and reconcilers in one process
  help CMD   details of one command

Options: --version prints the version; COMMAND --help the command's details.

Exit codes: 0 ok, 1 differences found (diff --exit-code), 2 bad usage or
configuration, 3 the diff/sync failed, 4 application busy (still being
reconciled after a minute of waiting).`;

const HELP: Record<string, string> = {
  diff: DIFF_USAGE,
  sync: SYNC_USAGE,
  status: STATUS_USAGE,
  history: HISTORY_USAGE,
  rollback: ROLLBACK_USAGE,
  suspend: SUSPEND_USAGE,
  resume: SUSPEND_USAGE,
  serve: SERVE_USAGE,
};

// Replaced by the package version when scripts/build.ts bundles the CLI.
declare const __DRIFTLESS_VERSION__: string | undefined;

/** The version built into the bundle; run from source, the checkout's package.json. */
function version(): string {
  if (typeof __DRIFTLESS_VERSION__ === 'string') return __DRIFTLESS_VERSION__;
  const pkg = new URL('../package.json', import.meta.url);
  return (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
}

// A dependency's url.parse() call makes Node print a deprecation warning on
// every run; it says nothing a user of the CLI can act on.
process.noDeprecation = true;

// V8 keeps the compiled code of the command modules on disk (in the system
// temp folder), so the second and later runs start faster.
enableCompileCache();

// Commands are imported when run, so each loads only the modules it needs.
async function run(argv: string[]): Promise<ExitCode> {
  const [command, ...rest] = argv;
  if (command === '--version') {
    process.stdout.write(`${version()}\n`);
    return EXIT.ok;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${HELP[command ?? ''] ?? USAGE}\n`);
    return EXIT.ok;
  }
  switch (command) {
    case 'diff':
      return (await import('./commands/diff.ts')).diffCommand(rest);
    case 'sync':
      return (await import('./commands/sync.ts')).syncCommand(rest);
    case 'status':
      return (await import('./commands/status.ts')).statusCommand(rest);
    case 'history':
      return (await import('./commands/history.ts')).historyCommand(rest);
    case 'rollback':
      return (await import('./commands/rollback.ts')).rollbackCommand(rest);
    case 'suspend':
      return (await import('./commands/suspend.ts')).suspendCommand(rest, true);
    case 'resume':
      return (await import('./commands/suspend.ts')).suspendCommand(rest, false);
    case 'serve':
      return (await import('./commands/serve.ts')).serveCommand(rest);
    case 'help':
    case '--help':
    case '-h':
    case undefined:
      process.stdout.write(`${HELP[rest[0] ?? ''] ?? USAGE}\n`);
      return EXIT.ok;
    default:
      throw new CliError(`unknown command "${command}"\n\n${USAGE}`);
  }
}

try {
  process.exitCode = await run(process.argv.slice(2));
} catch (err) {
  if (err instanceof CliError || err instanceof ConfigError) {
    process.stderr.write(`error: ${err.message}\n`);
    process.exitCode = err instanceof CliError ? err.exitCode : EXIT.usage;
  } else {
    process.stderr.write(
      `error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exitCode = EXIT.failed;
  }
}
