import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { ensureTable } from '../shared/state/ensure-table.ts';
import { createDynamoClient, createStateTable, type StateTable } from '../shared/state/client.ts';
import { CliError, EXIT } from './errors.ts';

export const DEFAULT_STATE_DIR = '.driftless/state';
const LOCAL_TABLE = 'driftless';
const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

export interface OpenState {
  table: StateTable;
  /** Where it lives, for messages. */
  where: string;
  /** The local DynamoDB endpoint this process serves, when it opened the folder itself. */
  endpoint?: string;
  close(): Promise<void>;
}

export interface StateFlags {
  state?: string | undefined;
  table?: string | undefined;
  'no-state'?: boolean | undefined;
}

/** The endpoint file a running `driftless serve` leaves in its state folder. */
export function endpointFile(dir: string): string {
  return join(dir, 'endpoint');
}

async function reachable(endpoint: string): Promise<boolean> {
  try {
    await fetch(endpoint, { signal: AbortSignal.timeout(500) });
    return true;
  } catch {
    return false;
  }
}

/**
 * Opens the state: a DynamoDB table in AWS (`--table`, credentials and region
 * from the usual AWS environment), or a local folder (`--state`, default
 * `.driftless/state`) holding dynalite's LevelDB files. A folder already
 * served by `driftless serve` is reached through that process, since LevelDB
 * allows one process at a time.
 */
export async function openState(
  flags: StateFlags,
  options: { create: boolean },
): Promise<OpenState | undefined> {
  if (flags['no-state']) return undefined;
  if (flags.table) {
    const client = createDynamoClient();
    return {
      table: createStateTable({ tableName: flags.table, client }),
      where: `DynamoDB table ${flags.table}`,
      close: async () => client.destroy(),
    };
  }
  const dir = resolve(flags.state ?? DEFAULT_STATE_DIR);
  if (!options.create && !existsSync(join(dir, 'db'))) return undefined;
  const served = existsSync(endpointFile(dir))
    ? readFileSync(endpointFile(dir), 'utf8').trim()
    : undefined;
  if (served && (await reachable(served))) {
    const client = new DynamoDBClient({
      endpoint: served,
      region: 'local',
      credentials: LOCAL_CREDENTIALS,
    });
    return {
      table: createStateTable({ tableName: LOCAL_TABLE, client }),
      where: `${dir} (through driftless serve)`,
      close: async () => client.destroy(),
    };
  }
  mkdirSync(dir, { recursive: true });
  const server = dynalite({ path: join(dir, 'db'), createTableMs: 0 });
  try {
    await new Promise<void>((ok, fail) => {
      server.once('error', fail);
      server.listen(0, '127.0.0.1', () => ok());
    });
  } catch (err) {
    throw new CliError(
      `cannot open the state folder ${dir}: ${(err as Error).message}`,
      EXIT.failed,
    );
  }
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new DynamoDBClient({ endpoint, region: 'local', credentials: LOCAL_CREDENTIALS });
  try {
    await ensureTable(client, LOCAL_TABLE, { create: options.create });
  } catch (err) {
    server.close();
    const message = (err as Error).message;
    throw new CliError(
      /LOCK|lock/.test(message)
        ? `the state folder ${dir} is in use by another driftless process; stop it, or use --state with another folder`
        : `cannot open the state folder ${dir}: ${message}`,
      EXIT.failed,
    );
  }
  return {
    table: createStateTable({ tableName: LOCAL_TABLE, client }),
    where: dir,
    endpoint,
    async close() {
      client.destroy();
      await new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}

/** The state an existing application lives in; a person is told where it was looked for. */
export async function requireState(flags: StateFlags): Promise<OpenState> {
  const state = await openState(flags, { create: false });
  if (!state) {
    throw new CliError(
      `no state found (looked in ${flags.state ?? DEFAULT_STATE_DIR}); sync an application first, or pass --state/--table`,
    );
  }
  return state;
}

/** Lets other driftless commands share a folder that `serve` holds open. */
export function publishEndpoint(dir: string, endpoint: string): () => void {
  writeFileSync(endpointFile(dir), `${endpoint}\n`);
  return () => rmSync(endpointFile(dir), { force: true });
}
