import type { Duplex } from 'node:stream';

/** How long a refused client may go on sending before its connection is cut. */
const LINGER_MS = 1_000;

/**
 * Node's answer to a request it cannot parse (a URL or headers over its
 * limit: 431; malformed: 400), given so the client reads it: Node's own
 * handler destroys the socket at once, and closing on bytes the client is
 * still sending resets the connection, which loses the answer. Here the rest
 * is read and dropped for up to a second, then the connection is closed.
 */
export function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (!socket.writable) return void socket.destroy();
  const status =
    err.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  socket.resume();
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
}
