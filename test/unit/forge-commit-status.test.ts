import { describe, expect, it } from 'vitest';
import type { AppRunOutcome } from '../../shared/app-run/types.ts';
import { Application } from '../../shared/config/application.ts';
import type { Health } from '../../shared/health/status.ts';
import { commitStatusReporter } from '../../shared/forge/commit-status-reporter.ts';
import { outcomeStatuses } from '../../shared/forge/outcome-status.ts';
import type { CommitStatus, ForgeClient, ForgeLookup } from '../../shared/forge/types.ts';
import { NO_TIMINGS, type SyncResult } from '../../shared/sync/result.ts';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const C = 'c'.repeat(40);
type Done = Extract<AppRunOutcome, { status: 'done' }>;

function result(overrides: Partial<SyncResult> = {}): SyncResult {
  return {
    app: 'web',
    cluster: 'cluster-a',
    revision: B,
    dryRun: false,
    status: 'Synced',
    objects: [],
    hooks: [],
    counts: { Created: 0, Configured: 1, Unchanged: 0, Pruned: 0, Skipped: 0, Failed: 0 },
    health: { status: 'Healthy' },
    inventory: { revision: B, entries: [] },
    manifestDigest: '',
    timings: NO_TIMINGS,
    ...overrides,
  };
}

const done = (r: Partial<SyncResult> = {}, more: Partial<Done> = {}): Done => ({
  status: 'done',
  result: result(r),
  previousRevision: A,
  ...more,
});
const webhook = { kind: 'webhook' as const, by: 'gitea' };

describe('outcomeStatuses', () => {
  it('Synced and Healthy is success on the synced commit', () => {
    expect(outcomeStatuses(done(), webhook)).toEqual([
      { revision: B, state: 'success', description: 'Synced and Healthy' },
    ]);
  });

  it('a failed sync is failure with the first line of its reason and its phase', () => {
    const [s] = outcomeStatuses(
      done({ status: 'Failed', phase: 'render', error: 'kustomize: bad file\nstack...' }),
      webhook,
    );
    expect(s).toEqual({
      revision: B,
      state: 'failure',
      description: 'Sync failed (render): kustomize: bad file',
    });
  });

  it('Degraded is failure, Progressing pending, Unknown error', () => {
    const state = (status: SyncResult['health']['status']) =>
      outcomeStatuses(done({ health: { status, message: 'x' } }), webhook)[0]!.state;
    expect(state('Degraded')).toBe('failure');
    expect(state('Missing')).toBe('failure');
    expect(state('Progressing')).toBe('pending');
    expect(state('Unknown')).toBe('error');
  });

  it('with a rollback policy: pending while baking, success once baked', () => {
    const baking = outcomeStatuses(
      done({}, { bake: { status: 'baking', until: Date.UTC(2026, 11, 1, 18, 30) } }),
      webhook,
    );
    expect(baking[0]).toMatchObject({ state: 'pending' });
    expect(baking[0]!.description).toContain('baking until 2026-12-01 18:30 UTC');
    expect(outcomeStatuses(done({}, { bake: { status: 'passed' } }), webhook)[0]!.state).toBe(
      'success',
    );
  });

  it('a bake that failed with nothing to roll back to is failure, even while Healthy', () => {
    const [s] = outcomeStatuses(
      done({}, { bake: { status: 'failed', reason: 'alarm web-5xx fired' } }),
      webhook,
    );
    expect(s).toEqual({
      revision: B,
      state: 'failure',
      description: 'Bake failed: alarm web-5xx fired; no earlier revision to roll back to',
    });
  });

  it('an automated rollback is failure on the commit it left, with the reason', () => {
    const statuses = outcomeStatuses(
      done(
        { revision: B },
        {
          rollback: {
            from: B,
            to: A,
            reason: `rolled back from ${B}: Degraded: Deployment web/web has 0 of 2 ready`,
            result: result({ revision: A }),
          },
        },
      ),
      webhook,
    );
    expect(statuses).toEqual([
      {
        revision: B,
        state: 'failure',
        description: 'Rolled back to aaaaaaa: Degraded: Deployment web/web has 0 of 2 ready',
      },
    ]);
  });

  it('a rollback someone asked for is failure on the commit it replaced, success on the one it synced', () => {
    const statuses = outcomeStatuses(done({ revision: A }, { previousRevision: C }), {
      kind: 'rollback',
      by: 'alice',
    });
    expect(statuses.map((s) => [s.revision, s.state])).toEqual([
      [C, 'failure'],
      [A, 'success'],
    ]);
    expect(statuses[0]!.description).toBe('Rolled back to aaaaaaa by alice');
  });

  it('a drift check reports only a health it found settled; other dry runs and skips nothing', () => {
    const check = (r: Partial<SyncResult>, more: Partial<Done> = {}) =>
      outcomeStatuses(done({ dryRun: true, ...r }, { previousRevision: B, ...more }), webhook);
    expect(check({}, { settled: { status: 'Healthy' } })).toEqual([
      { revision: B, state: 'success', description: 'Synced and Healthy' },
    ]);
    expect(
      check({ status: 'OutOfSync' }, { settled: { status: 'Degraded', message: 'x' } }),
    ).toEqual([{ revision: B, state: 'failure', description: 'Synced but Degraded: x' }]);
    // Drift found, health as before: nothing new about the commit.
    expect(check({ status: 'OutOfSync' })).toEqual([]);
    // A manual-sync application's dry run of a new commit: nothing was synced.
    expect(
      check({ status: 'OutOfSync' }, { previousRevision: A, settled: { status: 'Healthy' } }),
    ).toEqual([]);
    const skipped = (settled?: Health) =>
      outcomeStatuses(
        { status: 'skipped', reason: 'unchanged', revision: B, ...(settled ? { settled } : {}) },
        webhook,
      );
    expect(skipped({ status: 'Healthy' })).toEqual([
      { revision: B, state: 'success', description: 'Synced and Healthy' },
    ]);
    expect(skipped()).toEqual([]);
  });
});

function recordingForge(fail = false): { lookup: ForgeLookup; posted: CommitStatus[] } {
  const posted: CommitStatus[] = [];
  const client: ForgeClient = {
    kind: 'gitea',
    commentLimit: 65_536,
    setCommitStatus: async (_repo, status) => {
      await new Promise((r) => setTimeout(r, 5));
      if (fail) throw new Error('forge answered 500');
      posted.push(status);
    },
    upsertPullRequestComment: async () => {},
    pullRequestFiles: async () => [],
  };
  return {
    posted,
    lookup: (url) =>
      url.startsWith('https://git.example/acme/')
        ? { client, repo: { owner: 'acme', name: 'config' } }
        : undefined,
  };
}

const app = (repoURL: string, sources?: object[]) =>
  Application.parse({
    apiVersion: 'driftless.dev/v1alpha1',
    kind: 'Application',
    metadata: { name: 'web' },
    spec: {
      ...(sources ? { sources } : { source: { repoURL, targetRevision: 'main', path: 'web' } }),
      destination: { cluster: 'cluster-a', namespace: 'web' },
    },
  });

describe('commitStatusReporter', () => {
  it('posts pending then the result, in that order, with the context and the link', async () => {
    const forge = recordingForge();
    const reporter = commitStatusReporter({
      lookup: forge.lookup,
      appUrl: (name) => `https://ui.example/#/apps/${name}`,
    });
    const web = app('https://git.example/acme/config');
    reporter.started(web, 'web', B);
    reporter.finished(web, 'web', done(), webhook);
    await reporter.flush();
    expect(forge.posted.map((s) => [s.sha, s.state, s.context])).toEqual([
      [B, 'pending', 'driftless/web'],
      [B, 'success', 'driftless/web'],
    ]);
    expect(forge.posted[1]!.targetUrl).toBe('https://ui.example/#/apps/web');
  });

  it('a sync retried after a failure does not post pending again', async () => {
    const forge = recordingForge();
    const reporter = commitStatusReporter({ lookup: forge.lookup });
    const web = app('https://git.example/acme/config');
    const failed = done({ status: 'Failed', error: 'boom' });
    for (let retry = 0; retry < 3; retry++) {
      reporter.started(web, 'web', B);
      reporter.finished(web, 'web', failed, webhook);
    }
    await reporter.flush();
    expect(forge.posted.map((s) => s.state)).toEqual(['pending', 'failure']);
  });

  it('posts an unchanged status once', async () => {
    const forge = recordingForge();
    const reporter = commitStatusReporter({ lookup: forge.lookup });
    const web = app('https://git.example/acme/config');
    reporter.finished(web, 'web', done(), webhook);
    reporter.finished(web, 'web', done(), webhook);
    await reporter.flush();
    expect(forge.posted).toHaveLength(1);
  });

  it('a destination of a rollout has its own context', async () => {
    const forge = recordingForge();
    const reporter = commitStatusReporter({ lookup: forge.lookup });
    reporter.finished(app('https://git.example/acme/config'), 'web@prod', done(), webhook);
    await reporter.flush();
    expect(forge.posted[0]!.context).toBe('driftless/web@prod');
  });

  it('reports on each Git source of several, and none on a repository without credentials', async () => {
    const forge = recordingForge();
    const reporter = commitStatusReporter({ lookup: forge.lookup });
    const multi = app('', [
      { repoURL: 'https://git.example/acme/config', targetRevision: 'main', path: 'web' },
      { repoURL: 'https://elsewhere.example/x/values', targetRevision: 'main', ref: 'values' },
    ]);
    reporter.finished(multi, 'web', done({ revision: `${B},${C}` }), webhook);
    await reporter.flush();
    expect(forge.posted.map((s) => s.sha)).toEqual([B]);
  });

  it('a forge that fails costs a log line, not the reconcile, and is tried again next time', async () => {
    const forge = recordingForge(true);
    const logged: string[] = [];
    const reporter = commitStatusReporter({
      lookup: forge.lookup,
      log: (event, fields) => logged.push(`${event} ${String(fields.error)}`),
    });
    const web = app('https://git.example/acme/config');
    expect(() => reporter.finished(web, 'web', done(), webhook)).not.toThrow();
    reporter.finished(web, 'web', done(), webhook);
    await reporter.flush();
    expect(logged).toEqual([
      'forge.status_failed forge answered 500',
      'forge.status_failed forge answered 500',
    ]);
  });

  it('a lookup that throws mid-sync is logged, never thrown into the sync', () => {
    const logged: string[] = [];
    const reporter = commitStatusReporter({
      lookup: () => {
        throw new Error('credentials map broken');
      },
      log: (event, fields) => logged.push(`${event} ${String(fields.error)}`),
    });
    const web = app('https://git.example/acme/config');
    expect(() => reporter.started(web, 'web', B)).not.toThrow();
    expect(() => reporter.finished(web, 'web', done(), webhook)).not.toThrow();
    expect(logged).toEqual([
      'forge.status_failed credentials map broken',
      'forge.status_failed credentials map broken',
    ]);
  });
});
