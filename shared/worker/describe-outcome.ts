import type { AppRunOutcome } from '../app-run/types.ts';
import type { DriftlessEvent } from '../observability/events.ts';
import type { DestinationRun } from '../rollout/rollout.ts';
import type { RolloutStep } from '../state/app-state.ts';
import type { SyncResult } from '../sync/result.ts';
import type { PreviewRun } from '../preview/preview-run.ts';
import type { MessageOutcome } from './message-outcome.ts';

/** One application run within a message: the only run, or one destination of a rollout. */
export interface RunReport {
  app: string;
  cluster?: string;
  wave?: number;
  /** What the rollout decided for this destination (follow, hold, rollback, ...). */
  action?: string;
  status: AppRunOutcome['status'];
  revision?: string;
  result?: SyncResult['status'];
  health?: string;
  counts?: SyncResult['counts'];
  error?: string;
  /** Why it was skipped or busy, or the automated rollback's reason. */
  reason?: string;
  dryRun?: boolean;
  timings?: SyncResult['timings'];
}

/**
 * What became of one queue message, flat: the Lambda handler logs it, local
 * mode prints it, metrics count it. Nothing else unwraps a MessageOutcome.
 */
export interface OutcomeReport {
  kind: MessageOutcome['kind'];
  app?: string;
  /** Why the message was dropped, will be retried, or the rollout did nothing. */
  reason?: string;
  retryAfterMs?: number;
  /** A rollout's step: the revision, how far it got, whether it stopped. */
  step?: RolloutStep;
  runs: RunReport[];
  events: DriftlessEvent[];
}

function runReport(app: string, outcome: AppRunOutcome): RunReport {
  if (outcome.status === 'busy')
    return { app, status: 'busy', reason: `held by ${outcome.holder ?? 'another reconciler'}` };
  if (outcome.status === 'skipped')
    return { app, status: 'skipped', reason: outcome.reason, revision: outcome.revision };
  const r = outcome.result;
  return {
    app,
    cluster: r.cluster,
    status: 'done',
    revision: r.revision,
    result: r.status,
    health: r.health.status,
    counts: r.counts,
    error: r.error,
    reason: outcome.rollback?.reason,
    dryRun: r.dryRun,
    timings: r.timings,
  };
}

/** A preview's dry run; no timings, so metrics do not count it as a reconcile. */
function previewReport(run: PreviewRun): RunReport {
  const r = run.result;
  return {
    app: run.app,
    cluster: run.cluster,
    status: 'done',
    dryRun: true,
    ...(r
      ? { revision: r.revision, result: r.status, health: r.health.status, counts: r.counts }
      : {}),
    error: run.error ?? r?.error,
  };
}

function destinationReport(app: string, run: DestinationRun): RunReport {
  return {
    ...runReport(app, run.outcome),
    cluster: run.cluster,
    wave: run.wave,
    action: run.action?.kind,
  };
}

export function describeOutcome(outcome: MessageOutcome): OutcomeReport {
  switch (outcome.kind) {
    case 'dropped':
      return { kind: 'dropped', reason: outcome.reason, runs: [], events: [] };
    case 'retry':
      return {
        kind: 'retry',
        app: outcome.app,
        reason: outcome.reason,
        retryAfterMs: outcome.retryAfterMs,
        runs: [],
        events: [],
      };
    case 'done':
      return {
        kind: 'done',
        app: outcome.app,
        runs: [runReport(outcome.app, outcome.outcome)],
        events: outcome.events,
      };
    case 'preview': {
      const o = outcome.outcome;
      return {
        kind: 'preview',
        app: `preview of #${outcome.number}`,
        reason: o.kind === 'skipped' ? o.reason : `${o.state}, ${o.runs.length} dry run(s)`,
        runs: o.kind === 'posted' ? o.runs.map(previewReport) : [],
        events: [],
      };
    }
    case 'rollout': {
      const o = outcome.outcome;
      return {
        kind: 'rollout',
        app: outcome.app,
        reason: o.status === 'skipped' ? o.reason : undefined,
        step: o.status === 'done' ? o.step : undefined,
        runs: o.status === 'done' ? o.runs.map((r) => destinationReport(outcome.app, r)) : [],
        events: outcome.events,
      };
    }
  }
}

const short = (sha: string | undefined): string => (sha ? sha.slice(0, 7) : '?');

function runLine(run: RunReport): string {
  const where = run.wave !== undefined ? `${run.app}@${run.cluster}` : run.app;
  if (run.status !== 'done') return `${where}: ${run.status} (${run.reason})`;
  const c = run.counts;
  const changes = c ? `, ${c.Created} created, ${c.Configured} configured, ${c.Pruned} pruned` : '';
  const drift = run.dryRun ? ' (drift only recorded)' : '';
  const error = run.error ? `: ${run.error.split('\n')[0]}` : '';
  return `${where}: ${run.result}${drift} at ${short(run.revision)}${changes}, health ${run.health}${error}`;
}

function previewLine(run: RunReport): string {
  const c = run.counts;
  const changes = c
    ? `${c.Created} to create, ${c.Configured} to configure, ${c.Pruned} to prune`
    : '';
  const error = run.error ? `: ${run.error.split('\n')[0]}` : '';
  return `  ${run.app}@${run.cluster}: ${run.result ?? 'Failed'} at ${short(run.revision)}${changes ? `, ${changes}` : ''}${error}`;
}

/** One line per run, for a person reading local mode's output or a log. */
export function outcomeLines(report: OutcomeReport): string[] {
  if (report.kind === 'dropped') return [`dropped: ${report.reason}`];
  if (report.kind === 'retry') return [`${report.app}: will retry (${report.reason})`];
  if (report.kind === 'preview')
    return [`${report.app}: ${report.reason}`, ...report.runs.map(previewLine)];
  const lines = report.runs.map(runLine);
  if (report.step)
    lines.unshift(
      `${report.app}: rollout of ${short(report.step.revision)} ${report.step.status}, reached wave ${report.step.reachedWave ?? 'none'}`,
    );
  if (report.reason) lines.push(`${report.app}: ${report.reason}`);
  return lines;
}
