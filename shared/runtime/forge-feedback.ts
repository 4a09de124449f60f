import { appUrlFrom } from '../forge/app-url.ts';
import {
  commitStatusReporter,
  type CommitStatusReporter,
} from '../forge/commit-status-reporter.ts';
import type { ForgeLookup } from '../forge/types.ts';
import type { SecretCache } from '../secrets/secret-cache.ts';
import { STOP_BEFORE_DEADLINE_MS } from '../worker/deadline.ts';
import type { ReconcilerDeps } from '../worker/process-message.ts';
import { secretForges } from './forge-lookup.ts';

type Log = (event: string, fields: Record<string, unknown>) => void;

export interface ForgeFeedback {
  /** What a batch adds to the reconciler's dependencies: the forge clients as the secret says now. */
  batch(): Promise<Pick<ReconcilerDeps, 'forges' | 'forgesUnavailable' | 'statuses'>>;
  /** Statuses still on their way, but not past the point where the batch must answer. */
  flush(deadline: number): Promise<void>;
}

/**
 * The reconciler function's commit statuses and previews: forge clients
 * read from the secret per batch, one status reporter for the container's
 * life (so a status already posted is not posted again). Credentials that
 * cannot be read, or a link template that does not parse, cost statuses
 * and previews their part, never a sync.
 */
export function forgeFeedback(
  secrets: SecretCache,
  env: { DRIFTLESS_FORGE_CREDENTIALS_SECRET_ARN?: string; DRIFTLESS_APP_URL?: string },
  log: { info: Log; error: Log },
): ForgeFeedback {
  const secretId = env.DRIFTLESS_FORGE_CREDENTIALS_SECRET_ARN;
  const load = secretForges(secrets, secretId);
  let forges: ForgeLookup | undefined;
  const statuses: CommitStatusReporter | undefined = secretId
    ? commitStatusReporter({
        lookup: (url) => forges?.(url),
        appUrl: statusLink(env.DRIFTLESS_APP_URL, log.error),
        log: log.info,
      })
    : undefined;
  return {
    async batch() {
      try {
        forges = await load();
        return { ...(statuses ? { statuses } : {}), ...(forges ? { forges } : {}) };
      } catch (err) {
        const error = (err as Error).message;
        log.error('forge credentials unreadable: no commit statuses or previews', { error });
        forges = undefined;
        return { forgesUnavailable: `forge credentials unreadable: ${error}` };
      }
    },
    async flush(deadline) {
      if (!statuses) return;
      const left = Math.max(0, deadline - STOP_BEFORE_DEADLINE_MS - Date.now());
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        statuses.flush(),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, left))),
      ]);
      clearTimeout(timer);
    },
  };
}

function statusLink(template: string | undefined, error: Log) {
  try {
    return appUrlFrom(template);
  } catch (err) {
    error('DRIFTLESS_APP_URL ignored: commit statuses carry no link', {
      error: (err as Error).message,
    });
    return undefined;
  }
}
