import type { ForgeKind } from './types.ts';

export interface ForgeErrorDetails {
  forge: ForgeKind;
  method: string;
  /** The request's path, without its query. */
  path: string;
  /** The HTTP status, when the forge answered. */
  status?: number;
}

/**
 * A failed forge request. The message names the forge, method, path and
 * status and quotes the forge's own message, never a credential: every
 * forge-provided text passes through redact() first.
 */
export class ForgeError extends Error {
  readonly forge: ForgeKind;
  readonly method: string;
  readonly path: string;
  readonly status: number | undefined;

  constructor(details: ForgeErrorDetails, reason: string) {
    const status = details.status === undefined ? '' : ` ${details.status}`;
    super(`${details.forge} ${details.method} ${details.path}:${status} ${reason}`);
    this.name = new.target.name;
    this.forge = details.forge;
    this.method = details.method;
    this.path = details.path;
    this.status = details.status;
  }
}

/** A 3xx answer. Not followed: a redirect would carry the credential wherever it points. */
export class ForgeRedirectError extends ForgeError {
  /** Where the Location header points (resolved), for the one caller that follows a documented redirect by hand. */
  readonly location: string | undefined;

  constructor(details: ForgeErrorDetails, location: string | undefined) {
    const target = location ? ` to ${shownURL(location)}` : '';
    super(details, `a redirect${target}, not followed`);
    this.location = location;
  }
}

/** Origin and path only: a query or user info may hold anything. */
function shownURL(location: string): string {
  const url = URL.parse(location);
  return url ? `${url.origin}${url.pathname}` : 'an unparsable location';
}

/**
 * The secret parts of the headers a request carried: the whole value, the
 * credential after its scheme (`Bearer x`, `token x`), and for Basic the
 * decoded `user:password` and the password alone, since a forge that echoes
 * a request may quote any of these forms.
 */
export function credentialsIn(headers: Record<string, string>): string[] {
  const found: string[] = [];
  for (const [name, value] of Object.entries(headers)) {
    const key = name.toLowerCase();
    if (key !== 'authorization' && key !== 'private-token') continue;
    found.push(value);
    const [scheme, credential] = value.split(/\s+/, 2);
    if (!credential) continue;
    found.push(credential);
    if (scheme?.toLowerCase() === 'basic') {
      const decoded = Buffer.from(credential, 'base64').toString('utf8');
      found.push(decoded, decoded.slice(decoded.indexOf(':') + 1));
    }
  }
  return found;
}

/** `text` with every occurrence of a secret replaced, longest first so a part never survives its whole. */
export function redact(text: string, secrets: readonly string[]): string {
  const ordered = secrets.filter((s) => s.length > 0).toSorted((a, b) => b.length - a.length);
  return ordered.reduce((result, secret) => result.replaceAll(secret, '[redacted]'), text);
}

const MAX_FORGE_MESSAGE = 300;

/**
 * The forge's own words from an error body: GitHub and Gitea `message`
 * (GitHub adds `errors[].message`), GitLab `message` or `error` (a string,
 * or an object of field errors), Bitbucket `error.message`; otherwise the
 * start of the text. Callers redact the result.
 */
export function forgeMessage(body: string): string {
  const text = messageOf(parseJSON(body)) ?? body;
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > MAX_FORGE_MESSAGE ? `${oneLine.slice(0, MAX_FORGE_MESSAGE)}…` : oneLine;
}

function parseJSON(body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined;
  }
}

function messageOf(data: unknown): string | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const { message, error, errors } = data as Record<string, unknown>;
  if (typeof message === 'string') return withDetails(message, errors);
  if (message !== undefined) return JSON.stringify(message);
  if (typeof error === 'string') return error;
  return messageOf(error);
}

function withDetails(message: string, errors: unknown): string {
  if (!Array.isArray(errors)) return message;
  const details = errors.map((e) => (typeof e === 'string' ? e : messageOf(e))).filter(Boolean);
  return details.length > 0 ? `${message}: ${details.join('; ')}` : message;
}
