/**
 * AWS list prices used for every cost in the bench (us-east-1, December
 * 2026): Lambda arm64 per GB-second (first tier) and per request; DynamoDB
 * on-demand per request unit (the prices since the November 2024 cut).
 */
export const PRICES = {
  lambdaArmUsdPerGbSecond: 0.0000133334,
  lambdaUsdPerRequest: 0.2 / 1e6,
  dynamoUsdPerReadUnit: 0.125 / 1e6,
  dynamoUsdPerWriteUnit: 0.625 / 1e6,
} as const;

/** Memory at which a Lambda function has one full vCPU; below it, CPU time stretches in proportion. */
export const LAMBDA_FULL_VCPU_MB = 1769;

/** A 3-minute schedule: 20 checks an hour, 730 hours a month. */
export const CHECKS_PER_MONTH = 14_600;

export const WRITE_COMMANDS = new Set([
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'BatchWriteItem',
  'TransactWriteItems',
]);
