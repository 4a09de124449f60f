import { DescribeAlarmsCommand, type CloudWatchClient } from '@aws-sdk/client-cloudwatch';

export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

/** Where a baking application's alarms are read. Alarms it does not know are absent from the map. */
export interface AlarmSource {
  states(namesOrArns: string[]): Promise<Map<string, AlarmState>>;
}

/** `arn:aws:cloudwatch:REGION:ACCOUNT:alarm:NAME` → `NAME`; a plain name stays as it is. */
export function alarmName(nameOrArn: string): string {
  const marker = ':alarm:';
  const at = nameOrArn.indexOf(marker);
  return nameOrArn.startsWith('arn:') && at >= 0 ? nameOrArn.slice(at + marker.length) : nameOrArn;
}

/**
 * CloudWatch alarms (metric and composite) by name. DescribeAlarms takes at
 * most 100 names per request; the answer is keyed by the name or ARN the
 * caller gave, so a policy can mix both.
 */
export class CloudWatchAlarmSource implements AlarmSource {
  private readonly client: CloudWatchClient;

  constructor(client: CloudWatchClient) {
    this.client = client;
  }

  async states(namesOrArns: string[]): Promise<Map<string, AlarmState>> {
    const byName = new Map<string, AlarmState>();
    const names = [...new Set(namesOrArns.map(alarmName))];
    for (let i = 0; i < names.length; i += 100) {
      let NextToken: string | undefined;
      do {
        const page = await this.client.send(
          new DescribeAlarmsCommand({
            AlarmNames: names.slice(i, i + 100),
            AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
            NextToken,
          }),
        );
        for (const alarm of [...(page.MetricAlarms ?? []), ...(page.CompositeAlarms ?? [])]) {
          if (alarm.AlarmName && alarm.StateValue) byName.set(alarm.AlarmName, alarm.StateValue);
        }
        NextToken = page.NextToken;
      } while (NextToken);
    }
    const states = new Map<string, AlarmState>();
    for (const given of namesOrArns) {
      const state = byName.get(alarmName(given));
      if (state) states.set(given, state);
    }
    return states;
  }
}
