import { readFileSync } from 'node:fs';
import { appUrlFrom } from '../shared/forge/app-url.ts';
import { commitStatusReporter } from '../shared/forge/commit-status-reporter.ts';
import { forgeLookupFrom } from '../shared/forge/forge-credentials.ts';
import type { ForgeLookup } from '../shared/forge/types.ts';
import type { EventPublisher } from '../shared/observability/events.ts';
import { httpNotifier } from '../shared/observability/http-notifier.ts';
import type { ReconcilerDeps } from '../shared/worker/process-message.ts';
import { CliError } from './errors.ts';

export interface ServeForgeOptions {
  /** `--forge-credentials FILE` (or DRIFTLESS_FORGE_CREDENTIALS_FILE). */
  credentialsFile?: string | undefined;
  /** `--app-url TEMPLATE`; default: this server's UI. */
  appUrl?: string | undefined;
  log: (line: string) => void;
}

export interface ServeForge {
  /** What the reconcile workers get: forge clients and the status reporter, when configured. */
  deps: Pick<ReconcilerDeps, 'forges' | 'statuses' | 'log'>;
  /** The address is known: statuses link to this server's UI unless --app-url says otherwise. */
  listening(host: string, port: number): void;
  flush(): Promise<void>;
}

/**
 * `--forge-credentials FILE`: the forge secret's JSON, kept in a file of the
 * operator's. Errors name the file, never its content (a JSON parser quotes
 * the text near the fault, which may be a token).
 */
function readForgeCredentials(file: string): ForgeLookup {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(
      `--forge-credentials ${file}: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new CliError(`--forge-credentials ${file} is not valid JSON`);
  }
  try {
    return forgeLookupFrom(json, `--forge-credentials ${file}`);
  } catch (err) {
    throw new CliError((err as Error).message);
  }
}

/** The listen address as a link can name it: loopback for "any", IPv6 in brackets. */
function linkHost(address: string): string {
  if (address === '0.0.0.0') return '127.0.0.1';
  if (address === '::') return '[::1]';
  return address.includes(':') ? `[${address}]` : address;
}

/** Local mode's commit statuses and previews, from a credentials file. */
export function serveForge(options: ServeForgeOptions): ServeForge {
  try {
    appUrlFrom(options.appUrl);
  } catch (err) {
    throw new CliError(`--app-url: ${(err as Error).message}`);
  }
  const log = (event: string, fields: Record<string, unknown>) =>
    options.log(`[forge] ${event} ${JSON.stringify(fields)}`);
  if (!options.credentialsFile)
    return { deps: { log }, listening: () => {}, flush: async () => {} };
  const forges = readForgeCredentials(options.credentialsFile);
  let link: ((app: string) => string) | undefined;
  const statuses = commitStatusReporter({
    lookup: forges,
    appUrl: (app) => link?.(app) ?? '',
    log,
  });
  return {
    deps: { forges, statuses, log },
    listening(host, port) {
      link = appUrlFrom(options.appUrl ?? `http://${linkHost(host)}:${port}/#/apps/{app}`);
    },
    flush: () => statuses.flush(),
  };
}

/** `--notify URL`, repeatable: each event's JSON posted to each URL. */
export function serveNotifiers(urls: string[], log: (line: string) => void): EventPublisher[] {
  try {
    return urls.map((url) => httpNotifier({ url, log }));
  } catch (err) {
    throw new CliError((err as Error).message);
  }
}
