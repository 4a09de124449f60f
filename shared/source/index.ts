export { fetchSource, type SourceOptions, type SourceResult } from './fetch-source.ts';
export { resolveRevision, type ResolvedRevision } from './resolve-revision.ts';
export type { RefusedLink } from './links.ts';
export type { AuthCallback, GitCredentials, RemoteOptions } from './remote.ts';
export { SourceSpec, type SourceSpecInput, isFullSha } from './spec.ts';
export {
  AuthFailedError,
  FetchFailedError,
  BlobTooLargeError,
  PackTooLargeError,
  PathNotFoundError,
  RepositoryNotFoundError,
  RevisionNotFoundError,
  SourceError,
  UnreachableError,
  type SourceErrorCode,
} from './errors.ts';
