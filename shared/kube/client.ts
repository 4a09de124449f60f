import { Agent, request, type RequestOptions } from 'node:https';
import type * as Http from 'node:http';
import { createRequire } from 'node:module';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  KubeApiError,
  KubeRequestStoppedError,
  KubeUnreachableError,
  type ApiStatus,
} from './errors.ts';

// An ESM import of node:http makes Node read all its exports, whose lazy
// WebSocket getters load Node's bundled undici: ~35 ms of every cold start.
// require() does not, and only plain-http API servers need the module.
const requireBuiltin = createRequire(import.meta.url);
const plainHttp = (): typeof Http => requireBuiltin('node:http') as typeof Http;

/**
 * Retries. Every request Driftless sends is safe to repeat after a lost
 * answer: GET and LIST read, and server-side apply (PATCH) of the same object
 * by the same field manager converges to the same result, whether the first
 * attempt was carried out or not; hooks are created by server-side apply too
 * (run-hooks.ts), never by POST, so a repeated create finds its own object and
 * applies it again instead of meeting 409 AlreadyExists. DELETE is not
 * repeatable in the same way: a retry after a lost answer finds the object
 * gone and answers 404, which deleteObject counts as done (`retried`), and a
 * uid precondition keeps a retry from deleting a newer incarnation. Driftless
 * sends no POST; one that is not idempotent must not be retried here.
 */
// Throttling; a server (or a just-created CRD's storage) failing, starting or
// behind a gateway that failed or timed out. A 500 that says the object is
// invalid (server-side apply's "failed to create typed patch object") is the
// object's fault and fails at once (KubeApiError.invalidObject).
const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504]);
// Connection failures: refused (a restarting API server), reset or hung up
// (an idle keep-alive connection closed by the server or a load balancer),
// a broken pipe, and a connect that timed out. A request that was sent and
// got no answer within its timeout is not retried: a hung server would make
// every attempt wait that long again.
const RETRYABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT']);
/** Attempts of one request, the first included; a deadline usually ends them sooner. */
const MAX_ATTEMPTS = 10;
// Full jitter: a wait drawn from [0, min(cap, base * 2^attempt)), so the
// requests a failure hit together do not come back together. Ten attempts
// span a 3 s restart with room to spare (the waits' sum is under 3.5 s about
// once in ten thousand) and give up on a dead server after about 14 s.
const BACKOFF_BASE_MS = 250;
const BACKOFF_CAP_MS = 5_000;
/** A server's Retry-After is honoured up to this; a longer wait is not worth holding a sync for. */
const RETRY_AFTER_CAP_MS = 10_000;
const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * What bounds every request of one operation (a reconcile): once `signal` is
 * aborted or `deadline` (epoch ms) has passed nothing new is sent, requests in
 * flight end and no retry waits on; no request's timeout reaches past it.
 */
export interface RequestBound {
  readonly signal: AbortSignal;
  readonly deadline?: number;
  /** Why the operation stopped once `deadline` passed, before the signal says so itself. */
  readonly deadlineReason?: unknown;
}

/**
 * A bound that aborts at `deadline` with `reason`, or when `parent` aborts
 * (a lost lease, a Lambda near its end) with the parent's reason: one signal
 * for every way a run is told to stop. `clear` it when the run is done.
 */
export function deadlineBound(
  deadline: number,
  reason: Error,
  parent?: AbortSignal,
): RequestBound & { clear(): void } {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(reason), Math.max(0, deadline - Date.now()));
  timer.unref();
  const signal = parent ? AbortSignal.any([parent, controller.signal]) : controller.signal;
  return { signal, deadline, deadlineReason: reason, clear: () => clearTimeout(timer) };
}

/** Whether a failed attempt may be tried again (see RETRYABLE_STATUS and RETRYABLE_CODES). */
function retryable(err: unknown): boolean {
  if (err instanceof KubeApiError)
    return RETRYABLE_STATUS.has(err.statusCode) && !err.invalidObject;
  if (!(err instanceof KubeUnreachableError)) return false;
  const code = (err.cause as NodeJS.ErrnoException | undefined)?.code;
  return code !== undefined && RETRYABLE_CODES.has(code);
}

/** Retry-After in ms: delay-seconds or an HTTP date; 0 when absent or unreadable. */
function retryAfterMs(header: string | undefined): number {
  if (!header) return 0;
  const seconds = Number(header);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - Date.now();
  return Number.isFinite(ms) ? Math.max(0, ms) : 0;
}

function backoffMs(err: unknown, attempt: number): number {
  const jitter = Math.random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt);
  const asked = err instanceof KubeApiError ? retryAfterMs(err.retryAfterSeconds) : 0;
  return Math.max(jitter, Math.min(asked, RETRY_AFTER_CAP_MS));
}

/** A connect that timed out: the request was never sent. */
function connectTimeout(ms: number): NodeJS.ErrnoException {
  return Object.assign(new Error(`connect timed out after ${ms} ms`), {
    code: 'ETIMEDOUT',
    beforeSend: true,
  });
}

/** The attempt cannot have reached the server: refused, or no connection made in time. */
function neverSent(err: unknown): boolean {
  if (!(err instanceof KubeUnreachableError)) return false;
  const cause = err.cause as (NodeJS.ErrnoException & { beforeSend?: boolean }) | undefined;
  return cause?.code === 'ECONNREFUSED' || cause?.beforeSend === true;
}

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
  private bound?: RequestBound;
  private unbind?: () => void;

  constructor(
    connection: ClusterConnection,
    options: { maxSockets?: number; retries?: number } = {},
  ) {
    this.retries = options.retries ?? MAX_ATTEMPTS - 1;
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
   * Bounds every request from now on, and those already in flight (a
   * session's prefetch of version and discovery), by one operation's signal
   * and deadline. A client is opened per reconcile, so it carries its run's
   * bound instead of every caller passing a signal down.
   */
  bind(bound: RequestBound | undefined): void {
    this.unbind?.();
    this.bound = bound;
    this.unbind = undefined;
    if (!bound) return;
    const stop = (): void => {
      for (const req of this.inFlight) req.destroy(new Error('stopped'));
    };
    if (bound.signal.aborted) stop();
    bound.signal.addEventListener('abort', stop, { once: true });
    this.unbind = () => bound.signal.removeEventListener('abort', stop);
  }

  /**
   * Sends one request; resolves with the parsed JSON body, or throws
   * KubeApiError / KubeUnreachableError / KubeRequestStoppedError. Throttling,
   * server errors and failed connections are retried with backoff (see
   * RETRYABLE_STATUS), within the bound's deadline: no wait is started that
   * would end past it.
   */
  async request<T = unknown>(spec: RequestSpec): Promise<T> {
    let reachedServer = false;
    for (let attempt = 0; ; attempt++) {
      this.refuseIfStopped(spec);
      try {
        return await this.requestOnce<T>(spec);
      } catch (err) {
        if (err instanceof KubeApiError) err.retried = reachedServer;
        reachedServer ||= !neverSent(err);
        if (!retryable(err) || attempt >= this.retries || this.closed) throw err;
        await this.backOff(spec, err, attempt);
      }
    }
  }

  /** Why the bound says to send nothing more, if it does. */
  private stopReason(): unknown {
    const bound = this.bound;
    if (!bound) return undefined;
    if (bound.signal.aborted) return bound.signal.reason;
    if (bound.deadline !== undefined && Date.now() >= bound.deadline)
      return bound.deadlineReason ?? new Error('its deadline passed');
    return undefined;
  }

  private refuseIfStopped(spec: RequestSpec): void {
    if (this.closed) throw new Error(`client for ${this.server} is closed`);
    const reason = this.stopReason();
    if (reason !== undefined) throw new KubeRequestStoppedError(spec.method, spec.path, reason);
  }

  private async backOff(spec: RequestSpec, err: unknown, attempt: number): Promise<void> {
    const waitMs = backoffMs(err, attempt);
    const deadline = this.bound?.deadline;
    // Never sleep past the deadline: the failure is the answer then.
    if (deadline !== undefined && Date.now() + waitMs >= deadline) throw err;
    try {
      await sleep(waitMs, undefined, { signal: this.bound?.signal });
    } catch {
      throw new KubeRequestStoppedError(spec.method, spec.path, this.stopReason());
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
    const { statusCode, text, retryAfter } = await this.exchange(spec, url, headers, body);
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

  /**
   * One HTTP exchange. Its timeout is the request's own or the time left
   * before the deadline, whichever is shorter; a timeout before the
   * connection was made is a connect timeout (ETIMEDOUT, retried), one after
   * the request was sent is not.
   */
  private exchange(
    spec: RequestSpec,
    url: URL,
    headers: Record<string, string | string[]>,
    body: Buffer | undefined,
  ): Promise<{ statusCode: number; text: string; retryAfter?: string }> {
    const deadline = this.bound?.deadline;
    const timeoutMs = Math.max(
      1,
      Math.min(spec.timeoutMs ?? DEFAULT_TIMEOUT_MS, (deadline ?? Infinity) - Date.now()),
    );
    const send = url.protocol === 'http:' ? plainHttp().request : request;
    return new Promise((resolve, reject) => {
      const fail = (err: Error): void => {
        const stopped = this.stopReason();
        reject(
          stopped !== undefined
            ? new KubeRequestStoppedError(spec.method, spec.path, stopped)
            : new KubeUnreachableError(this.server, err),
        );
      };
      const options = { ...this.options, method: spec.method, headers, agent: this.agent };
      const req = send(url, { ...options, timeout: timeoutMs }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            statusCode: res.statusCode ?? 0,
            text: Buffer.concat(chunks).toString('utf8'),
            retryAfter: res.headers['retry-after'],
          }),
        );
        res.on('error', fail);
      });
      let connected = false;
      req.on('socket', (socket) => {
        if (!socket.connecting) connected = true;
        else
          socket.once(
            url.protocol === 'http:' ? 'connect' : 'secureConnect',
            () => (connected = true),
          );
      });
      req.on('timeout', () =>
        req.destroy(
          connected ? new Error(`no answer within ${timeoutMs} ms`) : connectTimeout(timeoutMs),
        ),
      );
      req.on('error', fail);
      this.inFlight.add(req);
      req.on('close', () => this.inFlight.delete(req));
      if (body) req.write(body);
      req.end();
    });
  }

  close(): void {
    this.closed = true;
    this.unbind?.();
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
