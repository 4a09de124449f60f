import { resolveApplicationRevision } from '../engine/app-revision.ts';
import type { RollbackHold } from '../state/app-state.ts';
import type { AppRecord } from '../state/head.ts';
import { settledAt } from './skip-rule.ts';
import type { AppRunInput, AppRunOutcome } from './types.ts';

export interface ChosenRevision {
  /** Undefined: the spec's targetRevision, resolved by the engine. */
  revision: string | undefined;
  /** The rollback hold that stays in force after this run. */
  hold: RollbackHold | undefined;
  /** The commit the branch points at now (resolved once, when first needed). */
  branchHead: () => Promise<string>;
  /**
   * Set when the revision is the one last synced and nothing asks for a
   * sync: only look for drift. The reason a skipped outcome gives when the
   * cluster still matches ('unchanged', 'held at ...').
   */
  driftCheck?: string;
  /** With driftCheck: self-heal is on, so drift the check finds is repaired by a sync of the revision. */
  repairDrift?: boolean;
}

/**
 * The revision to reconcile: one given (rollback, CLI --revision), the
 * rollback hold's while the branch still points where it did, or the head;
 * whether a drift check is all there is to do (unchanged, held); or the
 * reason there is nothing to do at all (suspended).
 */
export async function chooseRevision(
  input: AppRunInput,
  record: AppRecord,
): Promise<ChosenRevision | { skip: AppRunOutcome }> {
  const { app } = input;
  if (input.mode === 'auto' && record.state?.suspended) {
    const { by, at } = record.state.suspended;
    return {
      skip: { status: 'skipped', reason: `suspended by ${by} at ${new Date(at).toISOString()}` },
    };
  }
  let head = input.head;
  const branchHead = async (): Promise<string> =>
    (head ??= (await resolveApplicationRevision(app, input.settings.source)).revision);
  let revision = input.request?.revision;
  let hold = record.state?.hold;
  if (input.mode === 'auto' && !revision) {
    const now = await branchHead();
    if (hold && now === hold.headRevision) revision = hold.revision;
    else {
      hold = undefined;
      revision = now;
    }
    if (settledAt(record, app, revision)) {
      // No fetch, no sync unless the live objects drifted and self-heal repairs them.
      return {
        revision,
        hold,
        branchHead,
        driftCheck: driftCheckReason(revision, hold),
        repairDrift: Boolean(app.spec.syncPolicy.automated?.selfHeal),
      };
    }
  } else if (input.mode === 'sync') {
    // A sync someone asked for (or a rollback, which sets its own hold) replaces any hold.
    hold = undefined;
  }
  return { revision, hold, branchHead };
}

/** What a skipped drift check says when the cluster still matches. */
export function driftCheckReason(revision: string, hold: RollbackHold | undefined): string {
  return hold ? `held at ${revision} after a rollback` : 'unchanged';
}
