import type { SyncResult } from '../sync/result.ts';

/** One application's dry run on one destination, for the pull request's head. */
export interface PreviewRun {
  app: string;
  cluster: string;
  /** Absent when the dry run could not start (no connection to the cluster). */
  result?: SyncResult;
  /** Why it could not start. */
  error?: string;
}

/** Whether the run says the pull request would break its application (render, policy, dry-run refusal). */
export const previewFailed = (run: PreviewRun): boolean =>
  run.error !== undefined || run.result?.status === 'Failed';

/** The run's failure, one line. */
export const failureOf = (run: PreviewRun): string =>
  (run.error ?? run.result?.error ?? '').split('\n')[0]!.trim();
