import { HOOK_PHASES, hookWaves, type Hook } from './hooks.ts';
import type { HookResult } from './result.ts';

/** What a dry run reports for hooks a sync would run, in the order it would run them. */
export function hooksThatWouldRun(hooks: Hook[]): HookResult[] {
  return HOOK_PHASES.flatMap((phase) =>
    hookWaves(hooks, phase)
      .flat()
      .map((h): HookResult => ({
        ref: h.desired.ref,
        phase,
        status: 'WouldRun',
        source: h.desired.source,
        message: phase === 'SyncFail' ? 'runs only if the sync fails' : undefined,
        deletePolicies: h.deletePolicies,
      })),
  );
}
