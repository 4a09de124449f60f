import { randomUUID } from 'node:crypto';
import { setSuspended } from '../../shared/control/suspend.ts';
import { getRegistryEntry } from '../../shared/state/registry.ts';
import { COMMON_OPTIONS, parse } from '../args.ts';
import { CliError, EXIT, type ExitCode } from '../errors.ts';
import { requireState } from '../state-store.ts';
import { whoami } from './sync.ts';
import { whenFree } from '../wait-lease.ts';

export async function suspendCommand(argv: string[], suspend: boolean): Promise<ExitCode> {
  const command = suspend ? 'suspend' : 'resume';
  const { values, positionals } = parse(
    command,
    argv,
    {
      ...COMMON_OPTIONS,
      ...(suspend ? { reason: { type: 'string' } } : {}),
    } as typeof COMMON_OPTIONS & { reason: { type: 'string' } },
    1,
  );
  const name = positionals[0];
  if (!name)
    throw new CliError(`driftless ${command}: which application? (driftless ${command} NAME)`);
  const state = await requireState(values);
  try {
    if (!(await getRegistryEntry(state.table, name)))
      throw new CliError(`no application "${name}" in ${state.where}`);
    const outcome = await whenFree(
      name,
      () =>
        setSuspended(state.table, name, suspend, {
          by: whoami(),
          owner: `${whoami()}/${randomUUID()}`,
          ...(values.reason ? { reason: values.reason } : {}),
        }),
      values.output === 'json',
    );
    if (outcome.status === 'busy')
      throw new CliError(
        `application ${name} is being reconciled; try again in ${Math.ceil(outcome.retryAfterMs / 1000)} s`,
        EXIT.busy,
      );
    if (values.output === 'json')
      process.stdout.write(`${JSON.stringify({ app: name, suspended: suspend })}\n`);
    else process.stdout.write(`${name}: ${suspend ? 'suspended' : 'resumed'}\n`);
    return EXIT.ok;
  } finally {
    await state.close();
  }
}
