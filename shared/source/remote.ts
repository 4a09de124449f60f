import type { GitHttpRequest, HttpClient } from 'isomorphic-git';
import nodeHttp from 'isomorphic-git/http/node';
import { boundedBody, ResponseTooLargeError } from './bounded-body.ts';
import {
  AuthFailedError,
  FetchFailedError,
  PackTooLargeError,
  RepositoryNotFoundError,
  type SourceContext,
  type SourceError,
  UnreachableError,
} from './errors.ts';

export interface GitCredentials {
  username: string;
  password: string;
}

/** Returns HTTPS credentials for a repository URL, or nothing for anonymous access. */
export type AuthCallback = (
  repoURL: string,
) => GitCredentials | undefined | Promise<GitCredentials | undefined>;

export interface RemoteOptions {
  auth?: AuthCallback;
  /**
   * Added to the error of a 401 or 403 when `auth` gave no credentials, to
   * name the setting that would send some (the CLI's environment variables).
   */
  authHint?: string;
  limits?: {
    /** Largest pack one fetch may receive. Default 512 MiB. */
    maxFetchBytes?: number;
  };
  /** Longest a connection may stay silent before the request fails as unreachable. Default 30 s. */
  timeoutMs?: number;
}

/** What every isomorphic-git call against one repository needs. */
export interface Remote {
  url: string;
  http: HttpClient;
  /** A fresh object per call: isomorphic-git adds its own headers to the one it is given. */
  headers(): Record<string, string>;
  sentCredentials: boolean;
  /** RemoteOptions.authHint, when no credentials were sent. */
  authHint: string | undefined;
}

export const DEFAULT_GIT_TIMEOUT_MS = 30_000;

/**
 * isomorphic-git never asks for a thin pack, so an upload-pack server cannot
 * use the commits we already have as delta bases and re-sends every object of
 * a shallow tree on each new commit. isomorphic-git does resolve a thin pack's
 * external bases from the local object store, so asking for one turns an
 * incremental fetch from "the whole tree" into "the changed objects".
 */
function withThinPack(body: Uint8Array): Uint8Array {
  const text = Buffer.from(body).toString('latin1');
  const lineEnd = text.indexOf('\n');
  const first = text.slice(4, lineEnd + 1);
  if (!first.startsWith('want ') || !first.includes(' ofs-delta') || first.includes('thin-pack')) {
    return body;
  }
  const payload = first.replace(' ofs-delta', ' thin-pack ofs-delta');
  const length = (payload.length + 4).toString(16).padStart(4, '0');
  return Buffer.from(length + payload + text.slice(lineEnd + 1), 'latin1');
}

async function collect(body: GitHttpRequest['body']): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of body as AsyncIterable<Uint8Array>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

export const DEFAULT_MAX_FETCH_BYTES = 512 * 1024 * 1024;

/**
 * One more try when a kept-alive connection turns out closed: the server may
 * close an idle socket while our event loop is busy (a long render), and the
 * agent then reuses it. Both Git requests we make are reads, safe to repeat.
 */
async function send(request: GitHttpRequest): Promise<Awaited<ReturnType<HttpClient['request']>>> {
  try {
    return await nodeHttp.request(request);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code !== 'ECONNRESET' && code !== 'EPIPE') throw error;
    return nodeHttp.request(request);
  }
}

function httpClient(timeoutMs: number, maxFetchBytes: number): HttpClient {
  return {
    async request(request) {
      let next: GitHttpRequest = {
        ...request,
        // simple-get passes `timeout` to the socket: an idle connection fails instead of hanging.
        fetchOptions: { ...request.fetchOptions, timeout: timeoutMs },
      };
      if (request.body && request.url.endsWith('/git-upload-pack')) {
        // An array, as isomorphic-git itself sends it: the Node client then sets Content-Length.
        const body = [withThinPack(await collect(request.body))];
        next = { ...next, body: body as unknown as GitHttpRequest['body'] };
        const response = await send(next);
        return response.body
          ? { ...response, body: boundedBody(response.body, maxFetchBytes) }
          : response;
      }
      return send(next);
    },
  };
}

export async function openRemote(repoURL: string, options: RemoteOptions): Promise<Remote> {
  const credentials = await options.auth?.(repoURL);
  // Sent up front: waiting for the 401 challenge would cost one round trip per request.
  const authorization = credentials
    ? `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`
    : undefined;
  return {
    url: repoURL,
    http: httpClient(
      options.timeoutMs ?? DEFAULT_GIT_TIMEOUT_MS,
      options.limits?.maxFetchBytes ?? DEFAULT_MAX_FETCH_BYTES,
    ),
    headers: (): Record<string, string> => (authorization ? { Authorization: authorization } : {}),
    sentCredentials: credentials !== undefined,
    authHint: credentials ? undefined : options.authHint,
  };
}

const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
]);

interface IsoGitError {
  code?: string;
  message?: string;
  data?: { statusCode?: number; statusMessage?: string; response?: string };
}

/** Turns what isomorphic-git or the socket threw into one of our typed errors. */
export function remoteError(error: unknown, context: SourceContext, remote: Remote): SourceError {
  if (error instanceof ResponseTooLargeError) return new PackTooLargeError(context, error.limit);
  const e = (error ?? {}) as IsoGitError;
  const status = e.code === 'HttpError' ? e.data?.statusCode : undefined;
  if (status === 401 || status === 403) {
    const hint = remote.authHint ? `: ${remote.authHint}` : '';
    const detail = remote.sentCredentials
      ? `the server refused the credentials from the auth callback (HTTP ${status})`
      : `the server requires credentials (HTTP ${status}) and the auth callback gave none${hint}`;
    return new AuthFailedError(context, status, detail, error);
  }
  if (status === 404) return new RepositoryNotFoundError(context, error);
  if (e.code && UNREACHABLE_CODES.has(e.code)) {
    return new UnreachableError(context, `cannot reach the server (${e.code})`, error);
  }
  if (e.message === 'Request timed out') {
    return new UnreachableError(context, 'the server did not answer in time', error);
  }
  const detail = status
    ? `the server answered HTTP ${status} ${e.data?.statusMessage ?? ''}`.trimEnd()
    : `git transfer failed: ${e.message ?? String(error)}`;
  return new FetchFailedError(context, detail, error);
}
