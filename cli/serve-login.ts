import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** How long a browser session lasts: a working day, then a new login. */
export const SESSION_MS = 12 * 60 * 60 * 1000;

export interface ServeLogin {
  /** The cookie's name: per port, since browsers send a host's cookies to all its ports. */
  cookieName: string;
  /** A new one-time login code (printed in the login URL's fragment). */
  newCode(): string;
  /**
   * Trades a login code (once: it is consumed, so a replayed one fails) or
   * the run's secret for a new session token; undefined when neither holds.
   */
  redeem(credential: { code?: string; secret?: string }): string | undefined;
  /** Whether a Cookie header carries a live session of this run. */
  hasSession(cookieHeader: string | undefined): boolean;
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('base64url');
}

function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(Buffer.from(digest(a)), Buffer.from(digest(b)));
}

/** The value of cookie `name` in a Cookie header. */
function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * Browser login for `driftless serve`. Codes and sessions live in this
 * process only (a restart signs everyone out) and are kept as digests, so
 * they are looked up without comparing secrets byte by byte.
 */
export function serveLogin(options: {
  port: number;
  secret: string;
  now?: () => number;
}): ServeLogin {
  const now = options.now ?? Date.now;
  const codes = new Set<string>();
  const sessions = new Map<string, number>();
  const token = () => randomBytes(32).toString('base64url');
  return {
    cookieName: `driftless-session-${options.port}`,
    newCode() {
      const code = token();
      codes.add(digest(code));
      return code;
    },
    redeem({ code, secret }) {
      const codeOk = code !== undefined && codes.delete(digest(code));
      if (!codeOk && !(secret !== undefined && sameSecret(secret, options.secret)))
        return undefined;
      const session = token();
      sessions.set(digest(session), now() + SESSION_MS);
      return session;
    },
    hasSession(cookieHeader) {
      const value = cookieValue(cookieHeader, `driftless-session-${options.port}`);
      if (!value) return false;
      const key = digest(value);
      const expires = sessions.get(key);
      if (expires === undefined) return false;
      if (expires > now()) return true;
      sessions.delete(key);
      return false;
    },
  };
}
