import type { Application } from '../config/application.ts';
import { destinationKey, destinationsOf, type Destination } from '../config/destinations.ts';
import type { AppState } from '../state/app-state.ts';
import type { StateTable } from '../state/client.ts';
import { readApp } from '../state/head.ts';
import { listHistory, type HistoryRecord } from '../state/history.ts';

/** A rollout's destinations, lowest wave first, each with the state kept under its own key. */
export async function destinationStates(
  table: StateTable,
  app: Application,
): Promise<(Destination & { key: string; state: AppState | null })[]> {
  return Promise.all(
    destinationsOf(app).map(async (d) => {
      const key = destinationKey(app.metadata.name, d.cluster);
      return { ...d, key, state: (await readApp(table, key))?.state ?? null };
    }),
  );
}

/** A rollout's destinations, lowest wave first, each with its own history (newest first). */
export async function destinationHistories(
  table: StateTable,
  app: Application,
): Promise<{ cluster: string; wave: number; history: HistoryRecord[] }[]> {
  return Promise.all(
    destinationsOf(app).map(async (d) => ({
      cluster: d.cluster,
      wave: d.wave,
      history: await listHistory(table, destinationKey(app.metadata.name, d.cluster)),
    })),
  );
}
