/** Names the repository, revision and path in every source error, so a log line stands alone. */
export interface SourceContext {
  repoURL: string;
  revision: string;
  path?: string;
}

export type SourceErrorCode =
  | 'REVISION_NOT_FOUND'
  | 'PATH_NOT_FOUND'
  | 'AUTH_FAILED'
  | 'REPOSITORY_NOT_FOUND'
  | 'UNREACHABLE'
  | 'BLOB_TOO_LARGE'
  | 'PACK_TOO_LARGE'
  | 'FETCH_FAILED'
  | 'NO_SPACE';

function where(context: SourceContext): string {
  const path = context.path === undefined ? '' : `, path ${context.path}`;
  return `${context.repoURL} at ${context.revision}${path}`;
}

export class SourceError extends Error {
  readonly code: SourceErrorCode;
  readonly repoURL: string;
  readonly revision: string;
  readonly path: string | undefined;

  constructor(code: SourceErrorCode, context: SourceContext, detail: string, cause?: unknown) {
    super(`${where(context)}: ${detail}`, cause === undefined ? undefined : { cause });
    this.name = new.target.name;
    this.code = code;
    this.repoURL = context.repoURL;
    this.revision = context.revision;
    this.path = context.path;
  }
}

export class RevisionNotFoundError extends SourceError {
  constructor(context: SourceContext, detail: string) {
    super('REVISION_NOT_FOUND', context, detail);
  }
}

export class PathNotFoundError extends SourceError {
  constructor(context: SourceContext & { path: string }, detail: string) {
    super('PATH_NOT_FOUND', context, detail);
  }
}

export class AuthFailedError extends SourceError {
  readonly statusCode: number;
  constructor(context: SourceContext, statusCode: number, detail: string, cause: unknown) {
    super('AUTH_FAILED', context, detail, cause);
    this.statusCode = statusCode;
  }
}

export class RepositoryNotFoundError extends SourceError {
  constructor(context: SourceContext, cause: unknown) {
    super(
      'REPOSITORY_NOT_FOUND',
      context,
      'the server answered 404: no repository at this URL (or it is private and no credentials were sent)',
      cause,
    );
  }
}

export class UnreachableError extends SourceError {
  constructor(context: SourceContext, detail: string, cause: unknown) {
    super('UNREACHABLE', context, detail, cause);
  }
}

export class BlobTooLargeError extends SourceError {
  constructor(
    context: SourceContext & { path: string },
    file: { path: string; bytes: number },
    limit: number,
  ) {
    super(
      'BLOB_TOO_LARGE',
      context,
      `file ${file.path} is ${file.bytes} bytes, over the limit of ${limit} (spec.limits.maxFileBytes)`,
    );
  }
}

export class PackTooLargeError extends SourceError {
  constructor(context: SourceContext, limit: number) {
    super(
      'PACK_TOO_LARGE',
      context,
      `the server sent more than ${limit} bytes for one commit (spec.limits.maxFetchBytes); nothing was kept`,
    );
  }
}

export class FetchFailedError extends SourceError {
  constructor(context: SourceContext, detail: string, cause?: unknown) {
    super('FETCH_FAILED', context, detail, cause);
  }
}

/**
 * Whether the disk was full: a Node error coded ENOSPC, here or among its
 * causes (a failed Git transfer keeps the file system's error as its cause).
 */
export function isNoSpace(error: unknown): boolean {
  for (let e = error, depth = 0; e && depth < 5; depth++) {
    if ((e as { code?: unknown }).code === 'ENOSPC') return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * What a full disk means to whoever reads it: which folder is full. Which
 * setting moves it is the caller's to say (`--cache-dir` is the CLI's word).
 */
export function noSpaceMessage(folder: string): string {
  return `no space left in the cache folder ${folder}`;
}

export class NoSpaceError extends SourceError {
  readonly folder: string;
  constructor(context: SourceContext, folder: string, cause: unknown) {
    super('NO_SPACE', context, noSpaceMessage(folder), cause);
    this.folder = folder;
  }
}
