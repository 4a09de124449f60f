import { isRollout } from '../../shared/config/destinations.ts';
import { destinationStates } from '../../shared/rollout/destination-states.ts';
import type { AppState } from '../../shared/state/app-state.ts';
import { readApp, shownState } from '../../shared/state/head.ts';
import { listRegistry } from '../../shared/state/registry.ts';
import { COMMON_OPTIONS, parse } from '../args.ts';
import { CliError, EXIT, type ExitCode } from '../errors.ts';
import { formatDrift, shortSha, table } from '../output.ts';
import { requireState } from '../state-store.ts';
import { primarySource, targetRevisionOf } from '../../shared/config/sources.ts';

function ago(ms: number | undefined): string {
  if (!ms) return '';
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  return s < 120
    ? `${s}s ago`
    : s < 7200
      ? `${Math.round(s / 60)}m ago`
      : `${Math.round(s / 3600)}h ago`;
}

interface StatusFlags {
  disabled?: string;
  syncing?: boolean;
}

function syncColumn(s: AppState | null, flags: StatusFlags): string {
  if (flags.disabled) return 'Disabled';
  if (s?.suspended) return 'Suspended';
  if (flags.syncing) return 'Syncing';
  // Drift shows even while a rollback holds: someone changed the cluster by hand.
  if (s?.driftedSince !== undefined) return 'OutOfSync';
  if (s?.hold) return 'RolledBack';
  return s?.syncStatus ?? 'Unknown';
}

/** What needs a person's attention first: a failure, a suspension, drift, a hold, a bake, a rollout. */
function messageColumn(s: AppState | null, flags: StatusFlags): string {
  if (flags.disabled) return flags.disabled;
  // The error of the sync before is not news while the next one runs.
  if (flags.syncing && s?.operation && s.syncReason !== 'Interrupted')
    return `syncing ${shortSha(s.operation.revision)}, started ${ago(s.operation.startedAt)}`;
  if (s?.error) return s.error;
  if (s?.suspended) return `suspended by ${s.suspended.by}`;
  const hold = s?.hold
    ? `${s.hold.reason ?? `rolled back to ${shortSha(s.hold.revision)}`} (by ${s.hold.by})`
    : undefined;
  const drift = s ? formatDrift(s, ago(s.driftedSince)) : '';
  if (drift) return hold ? `${drift}; ${hold}` : drift;
  if (hold) return hold;
  if (s?.checkError) return `drift check failed: ${s.checkError}`;
  if (s?.bake && !s.bake.failed)
    return `baking ${shortSha(s.bake.revision)} until ${new Date(s.bake.until).toISOString()}`;
  const step = s?.rollout?.[0];
  return step
    ? `rollout of ${shortSha(step.revision)} ${step.status}, reached wave ${step.reachedWave ?? 'none'}`
    : '';
}

export async function statusCommand(argv: string[]): Promise<ExitCode> {
  const { values, positionals } = parse('status', argv, COMMON_OPTIONS, 1);
  const state = await requireState(values);
  try {
    const entries = (await listRegistry(state.table)).filter(
      (e) => !positionals[0] || e.name === positionals[0],
    );
    if (positionals[0] && entries.length === 0)
      throw new CliError(`no application "${positionals[0]}" in ${state.where}`);
    const apps = await Promise.all(
      entries.map(async (e) => {
        const record = await readApp(state.table, e.name);
        return {
          name: e.name,
          project: e.app?.spec.project,
          cluster: e.app?.spec.destination?.cluster,
          namespace: e.app?.spec.destination?.namespace,
          ...(e.app && isRollout(e.app)
            ? { destinations: await destinationStates(state.table, e.app) }
            : {}),
          repoURL: e.app && primarySource(e.app).repoURL,
          path: e.app && primarySource(e.app).path,
          targetRevision: e.app && targetRevisionOf(e.app),
          ...(e.error ? { disabled: e.error } : {}),
          syncing: Boolean(record?.lease && record.lease.expiresAt > state.table.now()),
          // An interrupted sync shows as such, not as the outcome of the sync before it.
          state: shownState(record, state.table.now()) ?? null,
        };
      }),
    );
    if (values.output === 'json') {
      process.stdout.write(`${JSON.stringify(positionals[0] ? apps[0] : { apps }, null, 2)}\n`);
      return EXIT.ok;
    }
    const rows = [
      ['NAME', 'PROJECT', 'CLUSTER', 'SYNC', 'HEALTH', 'REVISION', 'LAST SYNC', 'MESSAGE'],
    ];
    const row = (
      name: string,
      project: string,
      cluster: string,
      s: AppState | null,
      flags: StatusFlags,
    ) => {
      rows.push([
        name,
        project,
        cluster,
        syncColumn(s, flags),
        s?.health ?? 'Unknown',
        s?.syncedRevision ? shortSha(s.syncedRevision) : '',
        ago(s?.timings?.finishedAt),
        messageColumn(s, flags).split('\n')[0] ?? '',
      ]);
    };
    for (const a of apps) {
      row(a.name, a.project ?? '', a.destinations ? 'rollout' : (a.cluster ?? ''), a.state, {
        ...(a.disabled ? { disabled: a.disabled } : {}),
        syncing: a.syncing,
      });
      // A rollout's destinations, one row each, wave by wave.
      for (const d of a.destinations ?? [])
        row(`  ${d.key}`, '', `${d.cluster} (wave ${d.wave})`, d.state, {});
    }
    process.stdout.write(`${table(rows)}\n`);
    return EXIT.ok;
  } finally {
    await state.close();
  }
}
