import { describeRef, type ObjectRef } from './object.ts';

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

/** A non-2xx answer from the API server, with the server's own reason and message. */
export class KubeApiError extends Error {
  readonly statusCode: number;
  readonly reason: string;
  readonly status: ApiStatus;
  readonly method: string;
  readonly path: string;
  /** The server's Retry-After header, when it sent one. */
  retryAfterSeconds?: string;

  constructor(method: string, path: string, statusCode: number, status: ApiStatus) {
    const reason = status.reason ?? (statusCode === 404 ? 'NotFound' : `HTTP${statusCode}`);
    super(status.message ?? `${method} ${path}: ${statusCode} ${reason}`);
    this.name = 'KubeApiError';
    this.statusCode = statusCode;
    this.reason = reason;
    this.status = status;
    this.method = method;
    this.path = path;
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

  /**
   * The object itself is invalid: a schema, field or value error. Server-side
   * apply reports unknown fields as a 500 "failed to create typed patch
   * object", so that wording counts too.
   */
  get invalidObject(): boolean {
    if (this.statusCode === 400 || (this.statusCode === 422 && !this.immutableField)) return true;
    return (
      this.statusCode === 500 &&
      /failed to create typed patch object/.test(this.status.message ?? '')
    );
  }

  /**
   * True only when the server said a field is immutable. Flux's "any Invalid
   * or Conflict means immutable" heuristic recreates objects that merely had
   * a bad value; we look for the server's own wording in the causes.
   */
  get immutableField(): boolean {
    if (this.statusCode !== 422) return false;
    const texts = [
      this.status.message ?? '',
      ...(this.status.details?.causes ?? []).map((c) => c.message ?? ''),
    ];
    return texts.some((t) => /field is immutable|is immutable/i.test(t));
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

/** Rewords an API error for a person, naming the object it was about. */
export function explainObjectError(ref: ObjectRef, err: unknown): string {
  const what = describeRef(ref);
  if (err instanceof KubeApiError) {
    if (err.forbidden) return `${what}: permission denied: ${err.message}`;
    return `${what}: ${err.message}`;
  }
  return `${what}: ${err instanceof Error ? err.message : String(err)}`;
}
