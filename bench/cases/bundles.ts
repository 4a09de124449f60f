import { statSync } from 'node:fs';
import { join } from 'node:path';
import { median, NODE, repoRoot, runOk } from '../measure.ts';
import { round, type CaseResult } from '../result.ts';

const MIB = 1024 * 1024;
// The reconciler and the api diff, so they carry jq (1.3 MB of WebAssembly,
// inline, for ignoreDifferences' jqPathExpressions). It is evaluated only when
// an application uses jq, so it adds bytes, not import time.
const LIMITS: Record<string, number> = { webhook: 1, scheduler: 1, reconciler: 4, api: 4 };
const IMPORT_LIMIT_S = 0.3;

// What the CDK construct sets; importing a bundle validates them.
const FUNCTION_ENV = {
  TABLE_NAME: 'driftless',
  QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/driftless',
  CONFIG_REPO_URL: 'https://example.com/config.git',
  WEBHOOK_SECRETS_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:webhooks',
  AWS_REGION: 'us-east-1',
};

/** bundle-<function>: size of each built Lambda bundle and the median time to import it in a fresh process. */
export async function bundleCases(repetitions: number): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  for (const [name, limitMib] of Object.entries(LIMITS)) {
    const file = join(repoRoot, 'dist', 'functions', `${name}.mjs`);
    const bytes = statSync(file).size;
    const times: number[] = [];
    for (let i = 0; i < repetitions; i++) {
      const probe = await runOk(NODE, [join(repoRoot, 'bench', 'import-probe.ts'), file], {
        env: FUNCTION_ENV,
      });
      times.push(Number(probe.stdout.trim()));
    }
    const importS = median(times);
    results.push({
      name: `bundle-${name}`,
      bytes,
      import_s: round(importS),
      runs: repetitions,
      target: `< ${limitMib} MiB (${limitMib * MIB} bytes), import < ${IMPORT_LIMIT_S} s`,
      met: bytes < limitMib * MIB && importS < IMPORT_LIMIT_S,
    });
  }
  return results;
}
