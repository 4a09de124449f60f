import { isRollout } from '../../shared/config/destinations.ts';
import { destinationHistories } from '../../shared/rollout/destination-states.ts';
import { listHistory, type HistoryRecord } from '../../shared/state/history.ts';
import { getRegistryEntry } from '../../shared/state/registry.ts';
import { COMMON_OPTIONS, parse } from '../args.ts';
import { CliError, EXIT, type ExitCode } from '../errors.ts';
import { shortSha, table } from '../output.ts';
import { requireState } from '../state-store.ts';

export async function historyCommand(argv: string[]): Promise<ExitCode> {
  const { values, positionals } = parse('history', argv, COMMON_OPTIONS, 1);
  const name = positionals[0];
  if (!name) throw new CliError('driftless history: which application? (driftless history NAME)');
  const state = await requireState(values);
  try {
    const entry = await getRegistryEntry(state.table, name);
    if (!entry) throw new CliError(`no application "${name}" in ${state.where}`);
    // A rollout keeps one history per destination.
    const sections =
      entry.app && isRollout(entry.app)
        ? await destinationHistories(state.table, entry.app)
        : undefined;
    if (values.output === 'json') {
      const body = sections
        ? { app: name, destinations: sections }
        : { app: name, history: await listHistory(state.table, name) };
      process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
      return EXIT.ok;
    }
    const out = sections
      ? sections.map((s) => `${name}@${s.cluster} (wave ${s.wave})\n${historyTable(s.history)}`)
      : [historyTable(await listHistory(state.table, name))];
    process.stdout.write(`${out.join('\n\n')}\n`);
    return EXIT.ok;
  } finally {
    await state.close();
  }
}

function historyTable(history: HistoryRecord[]): string {
  const rows = [['#', 'REVISION', 'RESULT', 'APPLIED', 'PRUNED', 'TRIGGER', 'BY', 'WHEN']];
  for (const h of history) {
    const trigger =
      h.trigger.kind === 'rollback' && h.trigger.rollbackOf
        ? `rollback of #${h.trigger.rollbackOf}`
        : h.trigger.kind;
    rows.push([
      String(h.seq),
      shortSha(h.revision),
      h.result.outcome,
      String(h.result.applied),
      String(h.result.pruned),
      trigger,
      h.trigger.by ?? '',
      new Date(h.finishedAt).toISOString(),
    ]);
  }
  return table(rows);
}
