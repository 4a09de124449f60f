import { randomUUID } from 'node:crypto';
import {
  resolveRollbackTarget,
  rollbackHistoryKey,
  RollbackTargetError,
} from '../../shared/control/rollback-target.ts';
import { isRollout } from '../../shared/config/destinations.ts';
import { runApplication } from '../../shared/app-run/run-application.ts';
import { reconcileRollout } from '../../shared/rollout/rollout.ts';
import { getRegistryEntry, registeredProject } from '../../shared/state/registry.ts';
import { COMMON_OPTIONS, parse } from '../args.ts';
import { connect, progressPrinter, cliSettings } from '../context.ts';
import { CliError, EXIT, type ExitCode } from '../errors.ts';
import { requireState } from '../state-store.ts';
import { exitFor, printResult, whoami } from './sync.ts';
import { whenFree } from '../wait-lease.ts';

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
    if (!entry.app || !(entry.cluster || entry.clusters))
      throw new CliError(
        `application ${name} is disabled: ${entry.error ?? 'no cluster'}`,
        EXIT.failed,
      );
    const project = registeredProject(entry);
    if (!project)
      throw new CliError(
        `application ${name} names project ${entry.app.spec.project}, which its registry entry does not hold; sync it once to register it again`,
        EXIT.failed,
      );
    const as = { app: entry.app, project };
    let target;
    try {
      target = await resolveRollbackTarget(state.table, rollbackHistoryKey(entry.app), {
        ...(seq !== undefined ? { seq } : {}),
        ...(revision ? { revision } : {}),
      });
    } catch (err) {
      if (err instanceof RollbackTargetError) throw new CliError(err.message, EXIT.failed);
      throw err;
    }
    const onProgress = progressPrinter(values.quiet || values.output === 'json');
    const settings = cliSettings(values['cache-dir']);
    if (isRollout(entry.app)) {
      // Every destination goes back at once, held there like any rollback.
      const clusters = entry.clusters ?? [];
      const outcome = await reconcileRollout({
        table: state.table,
        app: entry.app,
        project,
        connect: (clusterName) =>
          connect(
            clusters.find((c) => c.metadata.name === clusterName)!,
            as,
          ),
        owner: `${whoami()}/${randomUUID()}`,
        trigger: { kind: 'rollback', by: whoami() },
        mode: 'sync',
        settings,
        request: { revision: target.revision },
        onProgress,
      });
      const results = outcome.status === 'done' ? outcome.runs : [];
      const busy = results.find((r) => r.outcome.status !== 'done');
      if (busy)
        throw new CliError(
          `destination ${busy.cluster} of ${name} is being reconciled; try again shortly`,
          EXIT.busy,
        );
      let code: ExitCode = EXIT.ok;
      for (const run of results) {
        if (run.outcome.status !== 'done') continue;
        printResult(run.outcome.result, values.output, false);
        if (exitFor(run.outcome.result) !== EXIT.ok) code = exitFor(run.outcome.result);
      }
      return code;
    }
    const cluster = entry.cluster!;
    const app = entry.app;
    const outcome = await whenFree(
      name,
      () =>
        runApplication({
          table: state.table,
          app,
          project,
          connect: () => connect(cluster, as),
          owner: `${whoami()}/${randomUUID()}`,
          trigger: { kind: 'rollback', by: whoami(), rollbackOf: target.seq },
          mode: 'sync',
          settings,
          request: { revision: target.revision },
          onProgress,
        }),
      values.quiet || values.output === 'json',
    );
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
