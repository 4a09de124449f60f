import { Agent, request, type RequestOptions } from 'node:https';
import type * as Http from 'node:http';
import { createRequire } from 'node:module';
import { setTimeout as sleep } from 'node:timers/promises';
import { KubeApiError, KubeUnreachableError, type ApiStatus } from './errors.ts';

// An ESM import of node:http makes Node read all its exports, whose lazy
// WebSocket getters load Node's bundled undici: ~35 ms of every cold start.
// require() does not, and only plain-http API servers need the module.
const requireBuiltin = createRequire(import.meta.url);
const plainHttp = (): typeof Http => requireBuiltin('node:http') as typeof Http;

// Answers that mean "try again shortly": throttling, a server (or a just-created
// CRD's storage) still starting, a gateway timeout.
const RETRYABLE_STATUS = new Set([429, 503, 504]);

/** How to reach and authenticate to one API server. */
export interface ClusterConnection {
  server: string;
  /** PEM CA bundle; the system roots are used when absent. */
  ca?: string | Buffer;
  /** Bearer token (static, or an EKS token made for this invocation). */
  token?: string;
  clientCert?: string | Buffer;
  clientKey?: string | Buffer;
  insecureSkipTlsVerify?: boolean;
  /**
   * Act as this user (Kubernetes impersonation): a project's ServiceAccount,
   * so the API server's RBAC bounds what the project's applications write
   * even where our own checks would not (docs/projects.md).
   */
  impersonate?: { user: string; groups?: string[] };
}

export interface RequestSpec {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  accept?: string;
  timeoutMs?: number;
}

/**
 * A small Kubernetes API client that sends and reads plain JSON. The typed
 * models of @kubernetes/client-node drop fields they do not know, which would
 * silently lose a manifest's newer or misspelled fields, so they are not used
 * on this path; client-node is only used to read kubeconfig files
 * (kubeconfig.ts).
 */
export class KubeClient {
  readonly server: string;
  private readonly base: URL;
  private readonly options: RequestOptions;
  private readonly agent: Agent | Http.Agent;
  private readonly retries: number;
  // Requests a caller started and no longer waits for (a prefetch whose
  // answer became moot) end with the client instead of retrying on.
  private readonly inFlight = new Set<Http.ClientRequest>();
  private closed = false;

  constructor(
    connection: ClusterConnection,
    options: { maxSockets?: number; retries?: number } = {},
  ) {
    this.retries = options.retries ?? 5;
    this.server = connection.server.replace(/\/+$/, '');
    this.base = new URL(this.server);
    const agentOptions = { keepAlive: true, maxSockets: options.maxSockets ?? 32 };
    this.agent =
      this.base.protocol === 'http:'
        ? new (plainHttp().Agent)(agentOptions)
        : new Agent(agentOptions);
    this.options = {
      ca: connection.ca,
      cert: connection.clientCert,
      key: connection.clientKey,
      rejectUnauthorized: !connection.insecureSkipTlsVerify,
      headers: authHeaders(connection),
    };
  }

  /**
   * Sends one request; resolves with the parsed JSON body, or throws
   * KubeApiError / KubeUnreachableError. Every request Driftless makes is
   * idempotent (reads, server-side apply, delete with preconditions), so
   * throttling and transient unavailability are retried with backoff.
   */
  async request<T = unknown>(spec: RequestSpec): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      if (this.closed) throw new Error(`client for ${this.server} is closed`);
      try {
        return await this.requestOnce<T>(spec);
      } catch (err) {
        const retryable =
          (err instanceof KubeApiError && RETRYABLE_STATUS.has(err.statusCode)) ||
          (err instanceof KubeUnreachableError && /ECONNRESET|socket hang up/.test(err.message));
        if (!retryable || attempt >= this.retries || this.closed) throw err;
        const retryAfter =
          err instanceof KubeApiError ? Number(err.retryAfterSeconds ?? 0) * 1000 : 0;
        await sleep(Math.min(5_000, Math.max(retryAfter, 100 * 2 ** attempt)));
      }
    }
  }

  private async requestOnce<T>(spec: RequestSpec): Promise<T> {
    const url = new URL(this.base.pathname.replace(/\/$/, '') + spec.path, this.base);
    for (const [key, value] of Object.entries(spec.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const body = spec.body === undefined ? undefined : Buffer.from(JSON.stringify(spec.body));
    const headers: Record<string, string | string[]> = {
      ...(this.options.headers as Record<string, string | string[]>),
      accept: spec.accept ?? 'application/json',
    };
    if (body) {
      headers['content-type'] = spec.contentType ?? 'application/json';
      headers['content-length'] = String(body.length);
    }
    const send = url.protocol === 'http:' ? plainHttp().request : request;
    const { statusCode, text, retryAfter } = await new Promise<{
      statusCode: number;
      text: string;
      retryAfter?: string;
    }>((resolve, reject) => {
      const req = send(
        url,
        {
          ...this.options,
          method: spec.method,
          headers,
          agent: this.agent,
          timeout: spec.timeoutMs ?? 30_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({
              statusCode: res.statusCode ?? 0,
              text: Buffer.concat(chunks).toString('utf8'),
              retryAfter: res.headers['retry-after'],
            }),
          );
          res.on('error', reject);
        },
      );
      req.on('timeout', () =>
        req.destroy(new Error(`request timed out after ${spec.timeoutMs ?? 30_000} ms`)),
      );
      req.on('error', (err) => reject(new KubeUnreachableError(this.server, err)));
      this.inFlight.add(req);
      req.on('close', () => this.inFlight.delete(req));
      if (body) req.write(body);
      req.end();
    });
    if (statusCode >= 200 && statusCode < 300) {
      return (text ? JSON.parse(text) : undefined) as T;
    }
    let status: ApiStatus;
    try {
      status = JSON.parse(text) as ApiStatus;
    } catch {
      status = {
        message: `${spec.method} ${url.pathname}: HTTP ${statusCode}: ${text.slice(0, 500)}`,
      };
    }
    const error = new KubeApiError(spec.method, url.pathname, statusCode, status);
    error.retryAfterSeconds = retryAfter;
    throw error;
  }

  close(): void {
    this.closed = true;
    for (const req of this.inFlight) req.destroy(new Error('client closed'));
    this.agent.destroy();
  }
}

function authHeaders(connection: ClusterConnection): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  if (connection.token) headers.authorization = `Bearer ${connection.token}`;
  if (connection.impersonate) {
    headers['impersonate-user'] = connection.impersonate.user;
    if (connection.impersonate.groups?.length)
      headers['impersonate-group'] = connection.impersonate.groups;
  }
  return headers;
}
