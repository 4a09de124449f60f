import { destinationOf } from '../config/destinations.ts';
import { DEFAULT_PROJECT_NAME } from '../config/project.ts';
import { primarySource, targetRevisionOf } from '../config/sources.ts';
import { isPinnedApplicationRevision, resolveApplicationRevision } from '../engine/app-revision.ts';
import type { Inventory } from '../sync/inventory.ts';
import { failedResult, NO_TIMINGS, type SyncResult } from '../sync/result.ts';
import type { AppRunInput } from './types.ts';

/** The ref a run asks for: the one requested (CLI --revision, a rollback) or the declared one. */
export function targetOf(input: AppRunInput, revision: string | undefined): string {
  return revision ?? targetRevisionOf(input.app);
}

/**
 * The commit a sync will apply, resolved before the engine runs so that the
 * marker written before its first cluster write names a commit, not a branch.
 * The engine, given the SHA, asks the server nothing more: the same one
 * lookup as before. When the ref cannot be resolved (unknown branch, server
 * down), the failed result the engine gives for its source step, whose
 * revision is the ref: no commit was found, nothing was written.
 */
export async function commitToSync(
  input: AppRunInput,
  revision: string | undefined,
  previous: Inventory | undefined,
): Promise<{ revision: string } | { failed: SyncResult }> {
  const ref = targetOf(input, revision);
  if (isPinnedApplicationRevision(input.app, ref)) return { revision: ref };
  const started = Date.now();
  const source = primarySource(input.app);
  input.onProgress?.({ phase: 'source', message: `resolving ${source.repoURL} ${ref}` });
  try {
    const resolved = await resolveApplicationRevision(input.app, input.settings.source, ref);
    return { revision: resolved.revision };
  } catch (err) {
    const ms = Date.now() - started;
    const failed = failedResult({
      app: input.app.metadata.name,
      cluster: destinationOf(input.app).cluster,
      revision: ref,
      dryRun: false,
      error: `source: ${(err as Error).message}`,
      phase: 'source',
      previous,
      timings: { ...NO_TIMINGS, sourceMs: ms, totalMs: ms },
    });
    return { failed: { ...failed, project: input.project?.metadata.name ?? DEFAULT_PROJECT_NAME } };
  }
}
