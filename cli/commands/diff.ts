import { reconcile } from '../../shared/engine/reconcile.ts';
import { readInventory } from '../../shared/state/inventory-store.ts';
import { COMMON_OPTIONS, parse, TARGET_OPTIONS } from '../args.ts';
import { connect, progressPrinter, cliSettings } from '../context.ts';
import { EXIT, type ExitCode } from '../errors.ts';
import { formatDiff, formatSummary, resultJson, styleFor } from '../output.ts';
import { openState } from '../state-store.ts';
import { resolveTarget } from '../target.ts';

export async function diffCommand(argv: string[]): Promise<ExitCode> {
  const { values } = parse('diff', argv, {
    ...COMMON_OPTIONS,
    ...TARGET_OPTIONS,
    revision: { type: 'string' },
    destination: { type: 'string' },
    'exit-code': { type: 'boolean', default: false },
  });
  const target = resolveTarget(values);
  // The state folder and the cluster are independent; a drift check is short
  // enough that opening them one after the other shows.
  const [stateOpened, connected] = await Promise.allSettled([
    openState(values, { create: false }),
    connect(target.cluster, target),
  ]);
  const state = stateOpened.status === 'fulfilled' ? stateOpened.value : undefined;
  try {
    if (stateOpened.status === 'rejected') throw stateOpened.reason;
    if (connected.status === 'rejected') throw connected.reason;
    const previous = state ? await readInventory(state.table, target.stateKey) : undefined;
    const result = await reconcile(target.app, {
      cluster: { name: target.cluster.metadata.name, connection: connected.value },
      settings: cliSettings(values['cache-dir']),
      project: target.project,
      request: { dryRun: true, revision: values.revision },
      previous,
      onProgress:
        process.stderr.isTTY && values.output !== 'json' ? progressPrinter(false) : undefined,
    });
    if (values.output === 'json')
      process.stdout.write(`${JSON.stringify(resultJson(result), null, 2)}\n`);
    else {
      const style = styleFor(process.stdout);
      const body = formatDiff(result, style);
      process.stdout.write(`${body ? `${body}\n` : ''}${formatSummary(result, style)}\n`);
    }
    if (result.status === 'Failed') return EXIT.failed;
    return values['exit-code'] && result.status !== 'Synced' ? EXIT.outOfSync : EXIT.ok;
  } finally {
    await state?.close();
  }
}
