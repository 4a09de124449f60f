import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { chmodSync, existsSync, linkSync, lstatSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ensureTable } from '../shared/state/ensure-table.ts';
import { createDynamoClient, createStateTable, type StateTable } from '../shared/state/client.ts';
import { CliError, EXIT } from './errors.ts';
import { isListening, listenOnSocket, socketAgent } from './state-socket.ts';

export const DEFAULT_STATE_DIR = '.driftless/state';
const LOCAL_TABLE = 'driftless';
const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

export interface OpenState {
  table: StateTable;
  /** Where it lives, for messages. */
  where: string;
  /** The unix socket this process serves the folder's store on, when it opened the folder itself. */
  socket?: string;
  close(): Promise<void>;
}

export interface StateFlags {
  state?: string | undefined;
  table?: string | undefined;
  'no-state'?: boolean | undefined;
}

/** The socket a running `driftless serve` publishes in its state folder. */
export function servedSocket(dir: string): string {
  return join(dir, 'state.sock');
}

/**
 * Whether the folder's served socket is one this user's serve made: a real
 * socket (not a link a cloned repository could ship, pointing at another
 * user's listener) in a folder of this user that no one else can write.
 */
function ownSocket(dir: string): boolean {
  const uid = process.getuid?.();
  const folder = lstatSync(dir, { throwIfNoEntry: false });
  const socket = lstatSync(servedSocket(dir), { throwIfNoEntry: false });
  if (!folder?.isDirectory() || !socket?.isSocket()) return false;
  if (uid === undefined) return true;
  return folder.uid === uid && socket.uid === uid && (folder.mode & 0o022) === 0;
}

/** A DynamoDB client for the dynalite store behind a unix socket. */
function socketClient(socket: string): DynamoDBClient {
  return new DynamoDBClient({
    // Never resolved: the agent connects every request to the socket.
    endpoint: 'http://driftless-state',
    region: 'local',
    credentials: LOCAL_CREDENTIALS,
    requestHandler: { httpAgent: socketAgent(socket) },
  });
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
  if (ownSocket(dir) && (await isListening(servedSocket(dir)))) {
    const client = socketClient(servedSocket(dir));
    return {
      table: createStateTable({ tableName: LOCAL_TABLE, client }),
      where: `${dir} (through driftless serve)`,
      close: async () => client.destroy(),
    };
  }
  // The store listens on a unix socket, not TCP: a web page can reach any
  // 127.0.0.1 port, and dynalite answers any origin and any signature. This
  // process's socket has its own name, so another command does not take it
  // for serve's and lose it when this one ends.
  const socket = join(dir, `state-${process.pid}.sock`);
  const server = dynalite({ path: join(dir, 'db'), createTableMs: 0 });
  try {
    // Only this user may read the state, reach its store or read serve's API secret.
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
    await listenOnSocket(server, socket);
  } catch (err) {
    throw new CliError(
      `cannot open the state folder ${dir}: ${(err as Error).message}`,
      EXIT.failed,
    );
  }
  const client = socketClient(socket);
  try {
    await ensureTable(client, LOCAL_TABLE, { create: options.create });
  } catch (err) {
    client.destroy();
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
    socket,
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

/**
 * Lets other driftless commands share a folder that `serve` holds open
 * (LevelDB allows one process at a time): a second name for this process's
 * socket, which keeps its own name for this process's client.
 */
export function publishSocket(dir: string, socket: string): () => void {
  // This process holds the folder's LevelDB lock, so a socket already there
  // is one a serve that died left behind.
  rmSync(servedSocket(dir), { force: true });
  linkSync(socket, servedSocket(dir));
  return () => rmSync(servedSocket(dir), { force: true });
}
