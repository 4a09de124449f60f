import { listHistory } from '../../shared/state/history.ts';
import { getRegistryEntry } from '../../shared/state/registry.ts';
import { COMMON_OPTIONS, parse } from '../args.ts';
import { CliError, EXIT, type ExitCode } from '../errors.ts';
import { shortSha, table } from '../output.ts';
import { requireState } from '../state-store.ts';

export const HISTORY_USAGE = `driftless history NAME [--state DIR | --table NAME] [-o json]

Shows the application's syncs, newest first (the last 50 are kept).`;

export async function historyCommand(argv: string[]): Promise<ExitCode> {
  const { values, positionals } = parse('history', argv, COMMON_OPTIONS, 1);
  const name = positionals[0];
  if (!name) throw new CliError('driftless history: which application? (driftless history NAME)');
  const state = await requireState(values);
  try {
    if (!(await getRegistryEntry(state.table, name)))
      throw new CliError(`no application "${name}" in ${state.where}`);
    const history = await listHistory(state.table, name);
    if (values.output === 'json') {
      process.stdout.write(`${JSON.stringify({ app: name, history }, null, 2)}\n`);
      return EXIT.ok;
    }
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
    process.stdout.write(`${table(rows)}\n`);
    return EXIT.ok;
  } finally {
    await state.close();
  }
}
