import { isRollout } from '../../shared/config/destinations.ts';
import { destinationStates } from '../../shared/rollout/destination-states.ts';
import type { AppState } from '../../shared/state/app-state.ts';
import { readApp } from '../../shared/state/head.ts';
import { listRegistry } from '../../shared/state/registry.ts';
import { COMMON_OPTIONS, parse } from '../args.ts';
import { CliError, EXIT, type ExitCode } from '../errors.ts';
import { shortSha, table } from '../output.ts';
import { requireState } from '../state-store.ts';

function ago(ms: number | undefined): string {
  if (!ms) return '';
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  return s < 120
    ? `${s}s ago`
    : s < 7200
      ? `${Math.round(s / 60)}m ago`
      : `${Math.round(s / 3600)}h ago`;
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
          cluster: e.app?.spec.destination?.cluster,
          namespace: e.app?.spec.destination?.namespace,
          ...(e.app && isRollout(e.app)
            ? { destinations: await destinationStates(state.table, e.app) }
            : {}),
          repoURL: e.app?.spec.source.repoURL,
          path: e.app?.spec.source.path,
          targetRevision: e.app?.spec.source.targetRevision,
          ...(e.error ? { disabled: e.error } : {}),
          syncing: Boolean(record?.lease && record.lease.expiresAt > Date.now()),
          state: record?.state ?? null,
        };
      }),
    );
    if (values.output === 'json') {
      process.stdout.write(`${JSON.stringify(positionals[0] ? apps[0] : { apps }, null, 2)}\n`);
      return EXIT.ok;
    }
    const rows = [['NAME', 'CLUSTER', 'SYNC', 'HEALTH', 'REVISION', 'LAST SYNC', 'MESSAGE']];
    const row = (
      name: string,
      cluster: string,
      s: AppState | null,
      flags: { disabled?: string; syncing?: boolean },
    ) => {
      const sync = flags.disabled
        ? 'Disabled'
        : s?.suspended
          ? 'Suspended'
          : flags.syncing
            ? 'Syncing'
            : s?.hold
              ? 'RolledBack'
              : (s?.syncStatus ?? 'Unknown');
      const step = s?.rollout?.[0];
      const message =
        flags.disabled ??
        s?.error ??
        (s?.suspended
          ? `suspended by ${s.suspended.by}`
          : s?.hold
            ? `${s.hold.reason ?? `rolled back to ${shortSha(s.hold.revision)}`} (by ${s.hold.by})`
            : s?.bake && !s.bake.failed
              ? `baking ${shortSha(s.bake.revision)} until ${new Date(s.bake.until).toISOString()}`
              : step
                ? `rollout of ${shortSha(step.revision)} ${step.status}, reached wave ${step.reachedWave ?? 'none'}`
                : '');
      rows.push([
        name,
        cluster,
        sync,
        s?.health ?? 'Unknown',
        s?.syncedRevision ? shortSha(s.syncedRevision) : '',
        ago(s?.timings?.finishedAt),
        message.split('\n')[0] ?? '',
      ]);
    };
    for (const a of apps) {
      row(a.name, a.destinations ? 'rollout' : (a.cluster ?? ''), a.state, {
        ...(a.disabled ? { disabled: a.disabled } : {}),
        syncing: a.syncing,
      });
      // A rollout's destinations, one row each, wave by wave.
      for (const d of a.destinations ?? [])
        row(`  ${d.key}`, `${d.cluster} (wave ${d.wave})`, d.state, {});
    }
    process.stdout.write(`${table(rows)}\n`);
    return EXIT.ok;
  } finally {
    await state.close();
  }
}
