import { severity, type Health } from './status.ts';

/** The application's health: its worst object's, with that object's name and message. */
export function aggregateHealth(items: { name: string; health: Health }[]): Health {
  let result: Health = { status: 'Healthy' };
  for (const { name, health } of items) {
    if (severity(health.status) > severity(result.status)) {
      result = {
        status: health.status,
        message: health.message ? `${name}: ${health.message}` : name,
      };
    }
  }
  return result;
}
