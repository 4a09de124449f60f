import * as z from 'zod';

/**
 * The functions' configuration, from environment variables set by the CDK
 * construct. Validated once per cold start, so a misconfigured deployment
 * fails with the variable's name instead of somewhere deep in a sync.
 */
const Env = z.object({
  TABLE_NAME: z.string().min(1),
  QUEUE_URL: z.string().url().optional(),
  EVENT_BUS_NAME: z.string().min(1).default('default'),
  CONFIG_REPO_URL: z.string().url().optional(),
  CONFIG_REPO_REVISION: z.string().min(1).default('main'),
  CONFIG_REPO_PATH: z.string().min(1).default('.'),
  GIT_CREDENTIALS_SECRET_ARN: z.string().min(1).optional(),
  WEBHOOK_SECRETS_ARN: z.string().min(1).optional(),
  SCHEDULE_JITTER_SECONDS: z.coerce.number().int().min(0).max(900).default(60),
  SOURCE_CACHE_DIR: z.string().min(1).default('/tmp/driftless'),
  RECONCILE_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(16),
  /** SNS topic told of every automated rollback (the alarms' topic). */
  ALARM_TOPIC_ARN: z.string().min(1).optional(),
  /** Forge tokens by repository URL prefix: commit statuses and pull-request previews. */
  DRIFTLESS_FORGE_CREDENTIALS_SECRET_ARN: z.string().min(1).optional(),
  /** The application page commit statuses link to, with `{app}` (see appUrlFrom). */
  DRIFTLESS_APP_URL: z.string().min(1).optional(),
});

export type FunctionEnv = z.output<typeof Env>;

export function readEnv(required: (keyof FunctionEnv)[] = []): FunctionEnv {
  const parsed = Env.safeParse(process.env);
  if (!parsed.success) {
    throw new Error(
      `invalid environment: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  const missing = required.filter((k) => parsed.data[k] === undefined);
  if (missing.length) throw new Error(`missing environment variable(s): ${missing.join(', ')}`);
  return parsed.data;
}
