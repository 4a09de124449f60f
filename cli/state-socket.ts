import { chmodSync, rmSync } from 'node:fs';
import { Agent, type Server } from 'node:http';
import { connect } from 'node:net';
import { relative } from 'node:path';

// The kernel keeps a unix socket's path in a fixed field with its terminating
// NUL: 108 bytes on Linux, 104 on macOS.
const MAX_SOCKET_PATH = 103;

/**
 * The shorter of the absolute path and the path relative to the working
 * directory: a state folder deep in a checkout may be too long for a socket
 * address while `.driftless/state/...` from the project folder is not.
 */
function socketAddress(path: string): string {
  const near = relative(process.cwd(), path);
  const address = near.length < path.length ? near : path;
  if (Buffer.byteLength(address) > MAX_SOCKET_PATH)
    throw new Error(
      `the socket path ${path} is longer than the ${MAX_SOCKET_PATH} bytes a unix socket allows; use a shorter --state folder, or run from nearer to it`,
    );
  return address;
}

/**
 * Serves `server` on a unix socket readable and writable by this user only:
 * no TCP port, so no web page the user visits can reach it. A file left at
 * `path` by a process that died is replaced.
 */
export async function listenOnSocket(server: Server, path: string): Promise<void> {
  const address = socketAddress(path);
  rmSync(path, { force: true });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(address, () => {
      server.off('error', fail);
      ok();
    });
  });
  // The state folder is 0700 already; the socket's own mode keeps it private
  // should the folder's be loosened later.
  chmodSync(path, 0o600);
}

/** An HTTP agent whose every connection goes to the unix socket at `path`, for the AWS SDK's request handler. */
export function socketAgent(path: string): Agent {
  const address = socketAddress(path);
  const agent = new Agent({ keepAlive: true });
  agent.createConnection = () => connect(address);
  return agent;
}

/** Whether a process accepts connections on the unix socket at `path` (a file there may be a dead process's). */
export function isListening(path: string): Promise<boolean> {
  return new Promise((resolveListening) => {
    let address: string;
    try {
      address = socketAddress(path);
    } catch {
      return resolveListening(false);
    }
    const socket = connect(address);
    socket.setTimeout(500);
    const answer = (listening: boolean) => () => {
      socket.destroy();
      resolveListening(listening);
    };
    socket.once('connect', answer(true));
    socket.once('error', answer(false));
    socket.once('timeout', answer(false));
  });
}
