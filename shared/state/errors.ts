/**
 * Typed failures of the state layer. Each names the table (and the
 * application when there is one) so a log line alone says what broke where.
 */
export type StateErrorCode =
  | 'TABLE_NOT_FOUND'
  | 'ACCESS_DENIED'
  | 'THROTTLED'
  | 'LEASE_LOST'
  | 'CORRUPT_STATE'
  | 'CONFLICT'
  | 'DYNAMODB_ERROR';

export interface StateErrorContext {
  table: string;
  app?: string;
  operation: string;
}

export class StateError extends Error {
  readonly code: StateErrorCode;
  readonly table: string;
  readonly app: string | undefined;
  readonly operation: string;

  constructor(code: StateErrorCode, context: StateErrorContext, detail: string, cause?: unknown) {
    const where = context.app
      ? `table ${context.table}, app ${context.app}`
      : `table ${context.table}`;
    super(`${context.operation} (${where}): ${detail}`, { cause });
    this.name = new.target.name;
    this.code = code;
    this.table = context.table;
    this.app = context.app;
    this.operation = context.operation;
  }
}

export class TableNotFoundError extends StateError {
  constructor(context: StateErrorContext, cause?: unknown) {
    super('TABLE_NOT_FOUND', context, `DynamoDB table ${context.table} does not exist`, cause);
  }
}

export class AccessDeniedError extends StateError {
  constructor(context: StateErrorContext, cause?: unknown) {
    const reason = cause instanceof Error ? `: ${cause.message}` : '';
    super('ACCESS_DENIED', context, `not allowed to use table ${context.table}${reason}`, cause);
  }
}

/** Still throttled after the SDK's retries with backoff gave up. */
export class ThrottledError extends StateError {
  constructor(context: StateErrorContext, cause?: unknown) {
    super('THROTTLED', context, 'throttled by DynamoDB after retries', cause);
  }
}

/**
 * The caller no longer holds the application's lease: another reconciler took
 * it over (its fencing token is newer), it was released, or it never existed.
 * A reconciler that sees this must stop writing at once.
 */
export class LeaseLostError extends StateError {
  constructor(
    context: StateErrorContext,
    detail = 'the lease is held by someone else',
    cause?: unknown,
  ) {
    super('LEASE_LOST', context, detail, cause);
  }
}

export class CorruptStateError extends StateError {
  constructor(context: StateErrorContext, detail: string, cause?: unknown) {
    super('CORRUPT_STATE', context, detail, cause);
  }
}

const ACCESS_DENIED_NAMES = new Set([
  'AccessDeniedException',
  'UnrecognizedClientException',
  'MissingAuthenticationTokenException',
  'InvalidSignatureException',
  'ExpiredTokenException',
]);

const THROTTLING_NAMES = new Set([
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
]);

/** Maps an AWS SDK error to a typed state error; conditional failures are for the caller to interpret. */
export function translateError(err: unknown, context: StateErrorContext): unknown {
  if (err instanceof StateError || isConditionalFailure(err)) return err;
  const name = err instanceof Error ? err.name : '';
  if (name === 'ResourceNotFoundException') return new TableNotFoundError(context, err);
  if (ACCESS_DENIED_NAMES.has(name)) return new AccessDeniedError(context, err);
  if (THROTTLING_NAMES.has(name)) return new ThrottledError(context, err);
  const message = err instanceof Error ? `${name}: ${err.message}` : String(err);
  return new StateError('DYNAMODB_ERROR', context, message, err);
}

export function isConditionalFailure(err: unknown): boolean {
  return err instanceof Error && err.name === 'ConditionalCheckFailedException';
}
