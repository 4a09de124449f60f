import { reconcile } from '../../shared/reconcile.ts';
import { readInventory } from '../../shared/state/inventory-store.ts';
import { COMMON_OPTIONS, parse, TARGET_OPTIONS } from '../args.ts';
import { connect, progressPrinter, sourceOptions } from '../context.ts';
import { EXIT, type ExitCode } from '../errors.ts';
import { formatDiff, formatSummary, resultJson, styleFor } from '../output.ts';
import { openState } from '../state-store.ts';
import { resolveTarget } from '../target.ts';

export async function diffCommand(argv: string[]): Promise<ExitCode> {
  const { values } = parse('diff', argv, {
    ...COMMON_OPTIONS,
    ...TARGET_OPTIONS,
    revision: { type: 'string' },
    'exit-code': { type: 'boolean', default: false },
  });
  const target = resolveTarget(values);
  const state = await openState(values, { create: false });
  try {
    const previous = state ? await readInventory(state.table, target.app.metadata.name) : undefined;
    const result = await reconcile(target.app, {
      cluster: { name: target.cluster.metadata.name, connection: await connect(target.cluster) },
      source: sourceOptions(values['cache-dir']),
      previous,
      dryRun: true,
      ...(values.revision ? { revision: values.revision } : {}),
      ...(process.stderr.isTTY && values.output !== 'json'
        ? { onProgress: progressPrinter(false)! }
        : {}),
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
