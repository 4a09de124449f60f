import { cpus, loadavg, release, totalmem } from 'node:os';
import { toolPath } from '../test/harness/tools.ts';
import { runOk } from './measure.ts';

/** What the numbers were measured on; load average too, since the machine may be shared. */
export async function describeMachine(): Promise<Record<string, unknown>> {
  const kubectl = JSON.parse(
    (await runOk(toolPath('kubectl'), ['version', '--client', '-o', 'json'])).stdout,
  ) as { clientVersion: { gitVersion: string } };
  const git = (await runOk('git', ['--version'])).stdout.trim();
  return {
    cpus: cpus().length,
    cpu_model: cpus()[0]?.model,
    memory_gb: Number((totalmem() / 2 ** 30).toFixed(1)),
    kernel: release(),
    node: process.version,
    kubectl: kubectl.clientVersion.gitVersion,
    kube_apiserver: 'v1.36.3 (local, one etcd, KWOK node)',
    git,
    load_average_at_start: loadavg().map((l) => Number(l.toFixed(2))),
    date: new Date().toISOString(),
  };
}
