import { forDestination, isRollout } from '../config/destinations.ts';
import { destinationStates } from '../rollout/destination-states.ts';
import { readApp } from '../state/head.ts';
import { error, ok } from './respond.ts';
import type { ApiResponse, AppRoute } from './types.ts';

/** An alarm's state as the rollout page shows it; `Unreadable` where no alarm source is configured or it does not know the alarm. */
type ShownAlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA' | 'Unreadable';

/**
 * `GET /apps/NAME/rollout`: a multi-destination application's waves, each
 * destination with its own state (revision, bake) and the current states of
 * the alarms its bake watches, and the application's rollout record (how far
 * each revision got, and why it stopped).
 */
export async function rolloutApp({ deps, entry, name }: AppRoute): Promise<ApiResponse> {
  const app = entry.app;
  if (!app) return error(409, `application ${name} is disabled: ${entry.error}`);
  if (!isRollout(app))
    return error(400, `application ${name} has one destination: it has no rollout`);
  const destinations = await destinationStates(deps.table, app);
  const alarmsOf = (d: (typeof destinations)[number]) =>
    forDestination(app, d).spec.rollback?.alarms ?? [];
  const names = [...new Set(destinations.flatMap(alarmsOf))];
  const states = names.length && deps.alarms ? await deps.alarms.states(names) : new Map();
  const record = await readApp(deps.table, name);
  return ok({
    app: name,
    alarmSource: Boolean(deps.alarms),
    destinations: destinations.map((d) => ({
      ...d,
      alarms: alarmsOf(d).map((alarm) => ({
        name: alarm,
        state: (states.get(alarm) ?? 'Unreadable') as ShownAlarmState,
      })),
    })),
    steps: record?.state?.rollout ?? [],
  });
}
