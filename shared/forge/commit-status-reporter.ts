import type { AppRunOutcome } from '../app-run/types.ts';
import type { Application } from '../config/application.ts';
import { normalizeRepoURL } from '../config/repo-url.ts';
import type { SyncTrigger } from '../state/history.ts';
import { outcomeStatuses, type RevisionStatus } from './outcome-status.ts';
import { statusCommits } from './status-commits.ts';
import type { CommitStatus, ForgeLookup } from './types.ts';

export interface StatusReporterOptions {
  lookup: ForgeLookup;
  /** The application's page in the UI or API, linked from each status. */
  appUrl?: (app: string) => string;
  log?: (event: string, fields: Record<string, unknown>) => void;
}

/** Posts what reconciles do to the commits they sync; a forge that fails costs a log line, never a sync. */
export interface CommitStatusReporter {
  /** A sync starts writing `revision`: `pending`. Not waited for. */
  started(app: Application, key: string, revision: string): void;
  /** The statuses of a finished run; not waited for, so a slow forge never holds up a sync. */
  finished(app: Application, key: string, outcome: AppRunOutcome, trigger: SyncTrigger): void;
  /** Waits for every status in flight. */
  flush(): Promise<void>;
}

/** Statuses remembered per commit and context, to post only changes; a few thousand is hours of a fleet. */
const REMEMBERED = 4_000;

export const statusContext = (key: string) => `driftless/${key}`;

export function commitStatusReporter(options: StatusReporterOptions): CommitStatusReporter {
  const log = options.log ?? (() => {});
  // One chain per commit and context keeps `pending` ahead of what follows it.
  const chains = new Map<string, Promise<void>>();
  const posted = new Map<string, string>();

  const post = (
    app: Application,
    key: string,
    status: RevisionStatus,
    onlyFirst = false,
  ): Promise<void>[] =>
    statusCommits(app, status.revision).map(({ repoURL, sha }) => {
      const target = options.lookup(repoURL);
      if (!target) return Promise.resolve();
      const context = statusContext(key);
      const id = `${normalizeRepoURL(repoURL)}@${sha}#${context}`;
      const said = `${status.state} ${status.description}`;
      const commit: CommitStatus = {
        sha,
        state: status.state,
        context,
        description: status.description,
        ...(options.appUrl ? { targetUrl: options.appUrl(app.metadata.name) } : {}),
      };
      const next = (chains.get(id) ?? Promise.resolve()).then(async () => {
        if (posted.get(id) === said || (onlyFirst && posted.has(id))) return;
        try {
          await target.client.setCommitStatus(target.repo, commit);
          remember(posted, id, said);
          log('forge.status', { app: app.metadata.name, context, sha, state: status.state });
        } catch (err) {
          log('forge.status_failed', {
            app: app.metadata.name,
            context,
            sha,
            state: status.state,
            error: (err as Error).message,
          });
        }
      });
      chains.set(id, next);
      void next.then(() => {
        if (chains.get(id) === next) chains.delete(id);
      });
      return next;
    });

  return {
    started(app, key, revision) {
      // A sync retried after a failure starts again on the same commit:
      // `pending` only for a commit not reported yet, or each retry would
      // post two statuses (GitHub keeps at most 1,000 per commit and context).
      guarded(log, app, () =>
        post(app, key, { revision, state: 'pending', description: 'Syncing' }, true),
      );
    },
    finished(app, key, outcome, trigger) {
      if (outcome.status === 'busy') return;
      guarded(log, app, () => outcomeStatuses(outcome, trigger).flatMap((s) => post(app, key, s)));
    },
    async flush() {
      await Promise.all(chains.values());
    },
  };
}

/** The callers run mid-sync: a status that cannot even be queued is logged, never thrown. */
function guarded(
  log: NonNullable<StatusReporterOptions['log']>,
  app: Application,
  queue: () => unknown,
): void {
  try {
    queue();
  } catch (err) {
    log('forge.status_failed', { app: app.metadata.name, error: (err as Error).message });
  }
}

function remember(posted: Map<string, string>, id: string, said: string): void {
  posted.delete(id);
  posted.set(id, said);
  if (posted.size > REMEMBERED) posted.delete(posted.keys().next().value!);
}
