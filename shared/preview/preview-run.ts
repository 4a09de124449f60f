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

/** Enough of a failure for a table cell: a reason often names its object on the next line. */
const FAILURE_CHARS = 300;

/** The run's failure on one line. */
export function failureOf(run: PreviewRun): string {
  const lines = (run.error ?? run.result?.error ?? '').split('\n').map((l) => l.trim());
  const text = lines.filter(Boolean).join(' ');
  return text.length > FAILURE_CHARS ? `${text.slice(0, FAILURE_CHARS - 1)}…` : text;
}
