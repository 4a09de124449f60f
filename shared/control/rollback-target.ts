import type { Application } from '../config/application.ts';
import { destinationKey, destinationsOf, isRollout } from '../config/destinations.ts';
import type { StateTable } from '../state/client.ts';
import { readApp } from '../state/head.ts';
import { getHistoryEntry, listHistory, type HistoryRecord } from '../state/history.ts';

export class RollbackTargetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RollbackTargetError';
  }
}

/**
 * Whose history a rollback target is looked up in: the application's, or for
 * a rollout its first wave's first destination, which took every revision
 * before any other wave did.
 */
export function rollbackHistoryKey(app: Application): string {
  return isRollout(app)
    ? destinationKey(app.metadata.name, destinationsOf(app)[0]!.cluster)
    : app.metadata.name;
}

/**
 * Which history entry a rollback re-syncs: the one named (by history number
 * or by revision prefix), or else the newest successful sync of a revision
 * other than the one running now.
 */
export async function resolveRollbackTarget(
  table: StateTable,
  app: string,
  wanted: { seq?: number; revision?: string } = {},
): Promise<HistoryRecord> {
  if (wanted.seq !== undefined) {
    const entry = await getHistoryEntry(table, app, wanted.seq);
    if (!entry)
      throw new RollbackTargetError(`application ${app} has no history entry ${wanted.seq}`);
    return entry;
  }
  const history = await listHistory(table, app);
  if (history.length === 0)
    throw new RollbackTargetError(`application ${app} has no sync history to roll back to`);
  if (wanted.revision) {
    const prefix = wanted.revision.toLowerCase();
    const matches = history.filter(
      (h) => h.revision.startsWith(prefix) && h.result.outcome !== 'failed',
    );
    if (matches.length === 0)
      throw new RollbackTargetError(
        `no successful sync of revision ${wanted.revision} in the history of ${app}`,
      );
    return matches[0]!;
  }
  const current = (await readApp(table, app))?.state?.syncedRevision;
  const previous = history.find((h) => h.revision !== current && h.result.outcome !== 'failed');
  if (!previous)
    throw new RollbackTargetError(
      `application ${app} has no earlier successful revision than ${current ?? 'the current one'}`,
    );
  return previous;
}
