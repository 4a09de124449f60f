import { randomUUID } from 'node:crypto';
import { userInfo } from 'node:os';
import { runApplication } from '../../shared/app-run/run-application.ts';
import { reconcile } from '../../shared/engine/reconcile.ts';
import { putRegistryEntry } from '../../shared/state/registry.ts';
import type { SyncResult } from '../../shared/sync/result.ts';
import { COMMON_OPTIONS, parse, parseDuration, TARGET_OPTIONS } from '../args.ts';
import { connect, progressPrinter, cliSettings } from '../context.ts';
import { CliError, EXIT, type ExitCode } from '../errors.ts';
import {
  formatDiff,
  formatHooks,
  formatObjects,
  formatSummary,
  resultJson,
  styleFor,
} from '../output.ts';
import { openState } from '../state-store.ts';
import { resolveTarget } from '../target.ts';
import { whenFree } from '../wait-lease.ts';

export function whoami(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli';
  }
}

export function printResult(result: SyncResult, output: string, showDiff: boolean): void {
  if (output === 'json') {
    process.stdout.write(`${JSON.stringify(resultJson(result), null, 2)}\n`);
    return;
  }
  const style = styleFor(process.stdout);
  const parts: string[] = [];
  if (showDiff) {
    const diff = formatDiff(result, style);
    if (diff) parts.push(diff);
  } else {
    if (result.objects.length) parts.push(formatObjects(result));
    const hooks = formatHooks(result);
    if (hooks) parts.push(hooks);
  }
  parts.push(formatSummary(result, style));
  process.stdout.write(`${parts.join('\n')}\n`);
}

export function exitFor(result: SyncResult): ExitCode {
  return result.status === 'Failed' ? EXIT.failed : EXIT.ok;
}

export async function syncCommand(argv: string[]): Promise<ExitCode> {
  const { values } = parse('sync', argv, {
    ...COMMON_OPTIONS,
    ...TARGET_OPTIONS,
    'dry-run': { type: 'boolean', default: false },
    prune: { type: 'boolean' },
    timeout: { type: 'string' },
    revision: { type: 'string' },
    quiet: { type: 'boolean', short: 'q', default: false },
    'no-wait': { type: 'boolean', default: false },
  });
  const target = resolveTarget(values);
  // --timeout is the run's one deadline (runTimeout in shared/engine/settings.ts),
  // with state or without: every phase and every Kubernetes request ends by
  // it. The wait for a busy lease comes before the run and is not part of it.
  // The Application itself is recorded as declared.
  const request = {
    revision: values.revision,
    prune: values.prune,
    waitForHealth: !values['no-wait'],
    timeoutMs: values.timeout ? parseDuration('--timeout', values.timeout) : undefined,
  };
  const onProgress = progressPrinter(values.quiet || values.output === 'json');
  const settings = cliSettings(values['cache-dir']);
  const state = await openState(values, { create: true });
  try {
    if (!state) {
      const result = await reconcile(target.app, {
        cluster: {
          name: target.cluster.metadata.name,
          connection: await connect(target.cluster, target),
        },
        settings,
        project: target.project,
        request: { ...request, dryRun: values['dry-run'] },
        onProgress,
      });
      printResult(result, values.output, values['dry-run']);
      return exitFor(result);
    }
    await putRegistryEntry(state.table, {
      name: target.app.metadata.name,
      file: values.file ?? `${values.config}/${values.app}`,
      app: target.app,
      cluster: target.cluster,
      project: target.project,
    });
    const outcome = await whenFree(
      target.app.metadata.name,
      () =>
        runApplication({
          table: state.table,
          app: target.app,
          project: target.project,
          connect: () => connect(target.cluster, target),
          owner: `${whoami()}/${randomUUID()}`,
          trigger: { kind: 'manual', by: whoami() },
          mode: values['dry-run'] ? 'diff' : 'sync',
          settings,
          request,
          onProgress,
        }),
      values.quiet || values.output === 'json',
    );
    if (outcome.status === 'busy') {
      throw new CliError(
        `application ${target.app.metadata.name} is being reconciled by ${outcome.holder ?? 'another process'}; try again in ${Math.ceil(outcome.retryAfterMs / 1000)} s`,
        EXIT.busy,
      );
    }
    if (outcome.status === 'skipped') {
      process.stdout.write(`${target.app.metadata.name}: nothing to do (${outcome.reason})\n`);
      return EXIT.ok;
    }
    printResult(outcome.result, values.output, values['dry-run']);
    return exitFor(outcome.result);
  } finally {
    await state?.close();
  }
}
