import type { ConfigSet } from '../config/load.ts';
import type { ReconcileQueue } from '../queue/message.ts';
import type { StateTable } from '../state/client.ts';
import { registerConfig, type RegistrationReport } from './register.ts';

export interface ScheduleOptions {
  table: StateTable;
  queue: ReconcileQueue;
  /** Spread the reconciles of one tick over this many seconds, so clusters and Git servers see no burst. */
  jitterSeconds: number;
  random?: () => number;
  now?: () => number;
}

export interface ScheduleReport extends RegistrationReport {
  enqueued: string[];
  suspended: string[];
}

/**
 * One scheduler tick: bring the registry up to date with the configuration
 * repository, then enqueue one reconcile per usable, unsuspended application,
 * each delayed by a random jitter.
 */
export async function runSchedule(
  config: ConfigSet,
  options: ScheduleOptions,
): Promise<ScheduleReport> {
  const registration = await registerConfig(options.table, config);
  const random = options.random ?? Math.random;
  const now = (options.now ?? Date.now)();
  const suspended: string[] = [];
  const due: string[] = [];
  for (const name of registration.registered) {
    if (config.applications.get(name)?.app.spec.suspend) suspended.push(name);
    else due.push(name);
  }
  await options.queue.send(
    due.map((app) => ({
      message: {
        app,
        mode: 'auto',
        trigger: { kind: 'schedule', by: 'scheduler' },
        enqueuedAt: now,
      },
      delaySeconds: Math.floor(random() * options.jitterSeconds),
    })),
  );
  return { ...registration, enqueued: due, suspended };
}
