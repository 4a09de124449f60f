import type { AppRunOutcome } from '../app-run/types.ts';
import type { Health } from '../health/status.ts';
import type { SyncTrigger } from '../state/history.ts';
import type { CommitState } from './types.ts';

/** What one reconcile says about one application revision, before it is mapped to commits. */
export interface RevisionStatus {
  /** The application revision (comma-joined for several sources). */
  revision: string;
  state: CommitState;
  description: string;
}

type Done = Extract<AppRunOutcome, { status: 'done' }>;
type Skipped = Extract<AppRunOutcome, { status: 'skipped' }>;

const short = (revision: string) =>
  revision
    .split(',')
    .map((part) => (/^[0-9a-f]{40,64}$/.test(part) ? part.slice(0, 7) : part))
    .join(',');

/** The first line of a message: a forge shows one. */
const firstLine = (text: string | undefined) => text?.split('\n')[0]?.trim() ?? '';

/**
 * The statuses a reconcile reports: one for the revision it synced, and
 * `failure` on the revision a rollback left, with the reason. A drift check
 * reports only a health it found the synced revision settled on, so a
 * status left `pending` by a slow rollout (or `failure` by a Degraded app
 * that recovered) follows the application; other dry runs (a manual-sync
 * application's new commit) and skips report nothing.
 */
export function outcomeStatuses(outcome: Done | Skipped, trigger: SyncTrigger): RevisionStatus[] {
  if (outcome.status === 'skipped')
    return outcome.settled && outcome.revision
      ? [{ revision: outcome.revision, ...healthStatus(outcome.settled) }]
      : [];
  const { result } = outcome;
  if (result.dryRun)
    return outcome.settled && result.revision === outcome.previousRevision
      ? [{ revision: result.revision, ...healthStatus(outcome.settled) }]
      : [];
  const statuses: RevisionStatus[] = [];
  if (outcome.rollback) {
    statuses.push({
      revision: outcome.rollback.from,
      state: 'failure',
      description: `Rolled back to ${short(outcome.rollback.to)}: ${firstLine(outcome.rollback.reason.replace(/^rolled back from \S+: /, ''))}`,
    });
    return statuses;
  }
  if (
    trigger.kind === 'rollback' &&
    outcome.previousRevision &&
    outcome.previousRevision !== result.revision &&
    result.status !== 'Failed'
  ) {
    const why = trigger.reason ? `: ${firstLine(trigger.reason)}` : '';
    statuses.push({
      revision: outcome.previousRevision,
      state: 'failure',
      description: `Rolled back to ${short(result.revision)} by ${trigger.by ?? 'a person'}${why}`,
    });
  }
  statuses.push({ revision: result.revision, ...syncStatus(outcome) });
  return statuses;
}

function syncStatus(outcome: Done): Omit<RevisionStatus, 'revision'> {
  const { result } = outcome;
  if (result.status === 'Failed') {
    const phase = result.phase ? ` (${result.phase})` : '';
    return { state: 'failure', description: `Sync failed${phase}: ${firstLine(result.error)}` };
  }
  if (outcome.bake?.status === 'failed')
    return {
      state: 'failure',
      description: `Bake failed: ${firstLine(outcome.bake.reason)}; no earlier revision to roll back to`,
    };
  const health = result.health;
  if (
    outcome.bake?.status === 'baking' &&
    (health.status === 'Healthy' || health.status === 'Suspended')
  )
    return {
      state: 'pending',
      description: `Synced and ${health.status}; baking until ${new Date(outcome.bake.until).toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    };
  return healthStatus(health);
}

/** What the health of a synced revision says of it. */
function healthStatus(health: Health): Omit<RevisionStatus, 'revision'> {
  const note = health.message ? `: ${firstLine(health.message)}` : '';
  switch (health.status) {
    case 'Healthy':
    case 'Suspended':
      return { state: 'success', description: `Synced and ${health.status}` };
    case 'Progressing':
      return { state: 'pending', description: `Synced; waiting for health${note}` };
    case 'Degraded':
    case 'Missing':
      return { state: 'failure', description: `Synced but ${health.status}${note}` };
    case 'Unknown':
      return { state: 'error', description: `Synced; health unknown${note}` };
  }
}
