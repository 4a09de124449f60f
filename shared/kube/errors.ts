/** The `Status` body the API server returns with an error. */
export interface ApiStatus {
  kind?: 'Status';
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: {
    name?: string;
    kind?: string;
    causes?: { reason?: string; message?: string; field?: string }[];
  };
}

/**
 * Core `secrets` requests: their error messages may quote a value. Not
 * anchored: a server URL may carry a path of its own (a proxy's
 * `/k8s/clusters/x`), and withholding one message too many costs nothing.
 */
const SECRETS_PATH = /\/api\/v1\/(?:namespaces\/[^/]+\/)?secrets(?:[/?]|$)/;

/**
 * A Status about a Secret, reduced to what names the problem without the
 * data: the reason and each cause's field and reason. The API server's
 * messages (a typed-patch error, a decode error) can quote the value.
 */
function withoutValues(status: ApiStatus): ApiStatus {
  const causes = (status.details?.causes ?? []).map((c) => ({
    ...(c.field ? { field: c.field } : {}),
    ...(c.reason ? { reason: c.reason } : {}),
  }));
  const described = causes.map((c) => [c.field, c.reason].filter(Boolean).join(': '));
  // Server-side apply's type errors carry no causes: `.stringData.x: expected string, got <the value>`.
  const typed = /: (\.[^\s:]+): (expected \w+)/.exec(status.message ?? '');
  if (typed) described.push(`${typed[1]}: ${typed[2]}`);
  const detail = described.length > 0 ? described.join(', ') : 'no field named';
  const message = `${status.reason ?? 'request failed'}: ${detail} (the server's own message about a Secret is withheld: it may quote the value)`;
  return {
    ...status,
    message,
    ...(status.details ? { details: { ...status.details, causes } } : {}),
  };
}

/**
 * True only when the server said a field is immutable. Flux's "any Invalid
 * or Conflict means immutable" heuristic recreates objects that merely had
 * a bad value; we look for the server's own wording in the causes.
 */
function saysImmutable(statusCode: number, status: ApiStatus): boolean {
  if (statusCode !== 422) return false;
  const texts = [
    status.message ?? '',
    ...(status.details?.causes ?? []).map((c) => c.message ?? ''),
  ];
  return texts.some((t) => /field is immutable|is immutable/i.test(t));
}

/**
 * The object itself is invalid: a schema, field or value error. Server-side
 * apply reports unknown fields as a 500 "failed to create typed patch
 * object", so that wording counts too.
 */
function saysInvalid(statusCode: number, status: ApiStatus, immutable: boolean): boolean {
  if (statusCode === 400 || (statusCode === 422 && !immutable)) return true;
  return statusCode === 500 && /failed to create typed patch object/.test(status.message ?? '');
}

export class KubeApiError extends Error {
  readonly statusCode: number;
  readonly reason: string;
  /** The server's Status; about a Secret, without its messages (see withoutValues). */
  readonly status: ApiStatus;
  readonly method: string;
  readonly path: string;
  /** The server's Retry-After header, when it sent one. */
  retryAfterSeconds?: string;
  /**
   * The answer to a retry after an attempt that may have reached the server
   * and been carried out, its answer lost (a 404 to such a DELETE is its
   * success).
   */
  retried = false;
  readonly immutableField: boolean;
  readonly invalidObject: boolean;

  constructor(method: string, path: string, statusCode: number, answered: ApiStatus) {
    // Classified on the server's own words, before a Secret's are withheld.
    const immutable = saysImmutable(statusCode, answered);
    const invalid = saysInvalid(statusCode, answered, immutable);
    const status = SECRETS_PATH.test(path) ? withoutValues(answered) : answered;
    const reason = status.reason ?? (statusCode === 404 ? 'NotFound' : `HTTP${statusCode}`);
    super(status.message ?? `${method} ${path}: ${statusCode} ${reason}`);
    this.name = 'KubeApiError';
    this.statusCode = statusCode;
    this.reason = reason;
    this.status = status;
    this.method = method;
    this.path = path;
    this.immutableField = immutable;
    this.invalidObject = invalid;
  }

  get notFound(): boolean {
    return this.statusCode === 404;
  }

  get forbidden(): boolean {
    return this.statusCode === 403;
  }

  get conflict(): boolean {
    return this.statusCode === 409;
  }
}

/**
 * A request not sent, or not waited for, because its operation was told to
 * stop: its deadline passed, its lease was lost, a Lambda's time is nearly
 * up. Never retried; the message is the reason's.
 */
export class KubeRequestStoppedError extends Error {
  readonly reason: unknown;
  constructor(method: string, path: string, reason: unknown) {
    const why = reason instanceof Error ? reason.message : String(reason);
    super(`${method} ${path} stopped: ${why}`, { cause: reason });
    this.name = 'KubeRequestStoppedError';
    this.reason = reason;
  }
}

/** Why a run stopped at its own deadline: the reason of its signal, shown in its messages. */
export class RunDeadlineError extends Error {
  constructor(description: string) {
    super(`the run's deadline passed (${description})`);
    this.name = 'RunDeadlineError';
  }
}

/** The API server could not be reached at all (refused, DNS, TLS, timeout). */
export class KubeUnreachableError extends Error {
  readonly server: string;
  constructor(server: string, cause: Error) {
    super(`cannot reach the Kubernetes API server at ${server}: ${cause.message}`, { cause });
    this.name = 'KubeUnreachableError';
    this.server = server;
  }
}
