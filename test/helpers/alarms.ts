import {
  PutMetricAlarmCommand,
  SetAlarmStateCommand,
  type CloudWatchClient,
} from '@aws-sdk/client-cloudwatch';

/** Creates a metric alarm (on the moto server) in state OK; returns how to set its state. */
export async function createAlarm(
  cloudwatch: CloudWatchClient,
  name: string,
): Promise<(state: 'OK' | 'ALARM') => Promise<unknown>> {
  await cloudwatch.send(
    new PutMetricAlarmCommand({
      AlarmName: name,
      Namespace: 'Test',
      MetricName: 'Errors',
      Statistic: 'Sum',
      Period: 60,
      EvaluationPeriods: 1,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    }),
  );
  const setAlarm = (StateValue: 'OK' | 'ALARM') =>
    cloudwatch.send(new SetAlarmStateCommand({ AlarmName: name, StateValue, StateReason: 'test' }));
  await setAlarm('OK');
  return setAlarm;
}
