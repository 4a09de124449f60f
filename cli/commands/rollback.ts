import { randomUUID } from 'node:crypto';
import {
  resolveRollbackTarget,
  RollbackTargetError,
} from '../../shared/control/rollback-target.ts';
import { reconcileApp } from '../../shared/reconcile-app.ts';
import { getRegistryEntry } from '../../shared/state/registry.ts';
import { COMMON_OPTIONS, parse } from '../args.ts';
import { connect, progressPrinter, sourceOptions } from '../context.ts';
import { CliError, EXIT, type ExitCode } from '../errors.ts';
import { requireState } from '../state-store.ts';
import { exitFor, printResult, whoami } from './sync.ts';

export const ROLLBACK_USAGE = `driftless rollback NAME [REVISION] [--seq N] [--state DIR | --table NAME] [-o json]

Re-syncs an earlier revision from the history: the one given (a commit SHA or
its prefix), history entry N, or by default the newest successful sync of a
revision other than the current one.`;

export async function rollbackCommand(argv: string[]): Promise<ExitCode> {
  const { values, positionals } = parse(
    'rollback',
    argv,
    {
      ...COMMON_OPTIONS,
      seq: { type: 'string' },
      quiet: { type: 'boolean', short: 'q', default: false },
    },
    2,
  );
  const [name, revision] = positionals;
  if (!name)
    throw new CliError(
      'driftless rollback: which application? (driftless rollback NAME [REVISION])',
    );
  const seq = values.seq === undefined ? undefined : Number(values.seq);
  if (seq !== undefined && !Number.isInteger(seq))
    throw new CliError(`--seq must be a history number, got "${values.seq}"`);
  const state = await requireState(values);
  try {
    const entry = await getRegistryEntry(state.table, name);
    if (!entry) throw new CliError(`no application "${name}" in ${state.where}`);
    if (!entry.app || !entry.cluster)
      throw new CliError(
        `application ${name} is disabled: ${entry.error ?? 'no cluster'}`,
        EXIT.failed,
      );
    let target;
    try {
      target = await resolveRollbackTarget(state.table, name, {
        ...(seq !== undefined ? { seq } : {}),
        ...(revision ? { revision } : {}),
      });
    } catch (err) {
      if (err instanceof RollbackTargetError) throw new CliError(err.message, EXIT.failed);
      throw err;
    }
    const cluster = entry.cluster;
    const onProgress = progressPrinter(values.quiet || values.output === 'json');
    const outcome = await reconcileApp({
      table: state.table,
      app: entry.app,
      connect: () => connect(cluster),
      owner: `${whoami()}/${randomUUID()}`,
      trigger: { kind: 'rollback', by: whoami(), rollbackOf: target.seq },
      mode: 'sync',
      revision: target.revision,
      source: sourceOptions(values['cache-dir']),
      ...(onProgress ? { onProgress } : {}),
    });
    if (outcome.status === 'busy')
      throw new CliError(
        `application ${name} is being reconciled; try again in ${Math.ceil(outcome.retryAfterMs / 1000)} s`,
        EXIT.busy,
      );
    if (outcome.status === 'skipped')
      throw new CliError(`rollback skipped: ${outcome.reason}`, EXIT.failed);
    printResult(outcome.result, values.output, false);
    return exitFor(outcome.result);
  } finally {
    await state.close();
  }
}
