import type { Application } from '../config/application.ts';
import type { AppState } from '../state/app-state.ts';
import type { StateTable } from '../state/client.ts';
import { putWatchPaths } from '../state/registry.ts';

function sameList(a: string[] | undefined, b: string[] | undefined): boolean {
  return (a ?? []).join('\n') === (b ?? []).join('\n');
}

/**
 * Keeps the registry's webhook routing paths in step with what the render
 * read. Written before the state: should this reconcile die in between, the
 * next one finds the paths still unrecorded and writes them again. Only a
 * routing hint, so a failed write keeps the old paths in the state (to be
 * tried again) instead of failing a sync that may have applied.
 */
export async function recordWatchPaths(
  table: StateTable,
  app: Application,
  state: AppState,
  registered: string[] | undefined,
  previous: AppState | undefined,
): Promise<void> {
  if (sameList(state.watchPaths, registered ?? previous?.watchPaths)) return;
  try {
    await putWatchPaths(table, app.metadata.name, state.watchPaths ?? []);
  } catch {
    if (previous?.watchPaths) state.watchPaths = previous.watchPaths;
    else delete state.watchPaths;
  }
}
