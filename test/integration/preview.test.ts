import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runApplication } from '../../shared/app-run/run-application.ts';
import { Application } from '../../shared/config/application.ts';
import { Cluster } from '../../shared/config/cluster.ts';
import { engineSettings } from '../../shared/engine/settings.ts';
import type { CommitStatus, ForgeClient, ForgeLookup } from '../../shared/forge/types.ts';
import { connectCluster } from '../../shared/kube/connect.ts';
import { runPreview, type PreviewDeps } from '../../shared/preview/run-preview.ts';
import { ForgeError } from '../../shared/forge/forge-error.ts';
import { previewMessage, PREVIEW_RETRY_MS } from '../../shared/worker/preview-message.ts';
import type { PreviewMessage } from '../../shared/queue/message.ts';
import { createStateTable, type StateTable } from '../../shared/state/client.ts';
import { putRegistryEntry } from '../../shared/state/registry.ts';
import { cluster, uniqueName } from '../harness/context.ts';
import { localDynamoClient } from '../harness/dynamodb.ts';
import { commitTree } from '../harness/git-fixtures.ts';
import { startGitServer, type GitServer } from '../harness/git-server.ts';
import { configMapValue } from '../helpers/engine.ts';
import { configMapYaml } from '../helpers/manifests.ts';

/**
 * The preview's own logic against a real Git server, cluster and table; the
 * forge is a recording implementation of ForgeClient (each forge's client is
 * tested against its real server or stand-in elsewhere).
 */
function recordingForge(repoURL: string, files: () => Promise<string[] | undefined>) {
  const statuses: CommitStatus[] = [];
  const comments: { number: number; body: string }[] = [];
  const client: ForgeClient = {
    kind: 'github',
    commentLimit: 65_536,
    setCommitStatus: async (_repo, status) => void statuses.push(status),
    upsertPullRequestComment: async (_repo, number, marker, body) => {
      const existing = comments.find((c) => c.number === number && c.body.includes(marker));
      if (existing) existing.body = body;
      else comments.push({ number, body });
    },
    pullRequestFiles: async () => files(),
  };
  const lookup: ForgeLookup = (url) =>
    url === repoURL ? { client, repo: { owner: 'acme', name: 'config' } } : undefined;
  return { statuses, comments, lookup };
}

describe('runPreview (real Git server, cluster-a and table; a recording forge client)', () => {
  let git: GitServer;
  let table: StateTable;
  let cacheDir: string;
  let url: string;
  let repo: string;
  let change: string;
  const names = { web: uniqueName('pv-web'), api: uniqueName('pv-api') };

  beforeAll(async () => {
    git = await startGitServer();
    cacheDir = mkdtempSync(join(tmpdir(), 'driftless-preview-'));
    const { endpoint, tableName } = inject('dynamo');
    table = createStateTable({ tableName, client: localDynamoClient(endpoint) });
    repo = uniqueName('pv');
    url = git.createRepo(repo);
    const files = (web: string) => ({
      'web/cm.yaml': configMapYaml('settings', web),
      'api/cm.yaml': configMapYaml('settings', 'api-one'),
    });
    commitTree(git.repoPath(repo), 'main', files('web-one'));
    const registered = Cluster.parse({
      apiVersion: 'driftless.dev/v1alpha1',
      kind: 'Cluster',
      metadata: { name: 'cluster-a' },
      spec: { kubeconfig: { file: cluster('cluster-a').kubeconfig } },
    });
    for (const [path, name] of Object.entries(names)) {
      const app = Application.parse({
        apiVersion: 'driftless.dev/v1alpha1',
        kind: 'Application',
        metadata: { name },
        spec: {
          source: { repoURL: url, targetRevision: 'main', path },
          destination: { cluster: 'cluster-a', namespace: name },
          syncPolicy: { automated: { prune: true }, syncOptions: ['CreateNamespace=true'] },
        },
      });
      await putRegistryEntry(table, { name, file: `apps/${name}.yaml`, app, cluster: registered });
      const synced = await runApplication({
        table,
        app,
        settings: engineSettings({ source: { cacheDir } }),
        connect: () => connectCluster(registered),
        owner: uniqueName('owner'),
        trigger: { kind: 'manual', by: 'test' },
        mode: 'sync',
      });
      expect(synced).toMatchObject({ status: 'done', result: { status: 'Synced' } });
    }
    change = commitTree(git.repoPath(repo), 'change', files('web-two'));
  });

  afterAll(async () => {
    await git.stop();
    table.client.destroy();
    rmSync(cacheDir, { recursive: true, force: true });
  });

  const message = (over: Partial<PreviewMessage> = {}): PreviewMessage => ({
    kind: 'preview',
    provider: 'github',
    deliveryId: uniqueName('d'),
    action: 'opened',
    repoURLs: [url],
    number: 7,
    headSha: change,
    headRef: 'refs/pull/7/head',
    baseBranch: 'main',
    defaultBranch: 'main',
    fork: false,
    enqueuedAt: Date.now(),
    ...over,
  });
  const deps = (lookup: ForgeLookup): PreviewDeps => ({
    table,
    settings: engineSettings({ source: { cacheDir } }),
    connect: connectCluster,
    forges: lookup,
  });

  it('previews only the application the files touch; the cluster keeps its value', async () => {
    const forge = recordingForge(url, async () => ['web/cm.yaml']);
    const outcome = await runPreview(message(), deps(forge.lookup));
    expect(outcome).toMatchObject({ kind: 'posted', apps: [names.web], state: 'success' });
    expect(forge.statuses.map((s) => [s.sha, s.state, s.context])).toEqual([
      [change, 'pending', 'driftless/preview'],
      [change, 'success', 'driftless/preview'],
    ]);
    expect(forge.comments).toHaveLength(1);
    expect(forge.comments[0]!.body).toContain(`| ${names.web} | cluster-a | 0 | 1 | 0 | 0 |`);
    expect(forge.comments[0]!.body).not.toContain(names.api);
    expect(await configMapValue(cluster('cluster-a'), names.web, 'settings')).toBe('web-one');
  });

  it('without the list of files (the forge failed), every application of the repository', async () => {
    const forge = recordingForge(url, async () => {
      throw new Error('forge answered 502');
    });
    const outcome = await runPreview(message(), deps(forge.lookup));
    expect(outcome).toMatchObject({ kind: 'posted', state: 'success' });
    expect(outcome.kind === 'posted' && outcome.apps.toSorted()).toEqual(
      [names.api, names.web].toSorted(),
    );
  });

  it("Bitbucket's abbreviated head: read through its branch, reported on the full SHA", async () => {
    const forge = recordingForge(url, async () => ['web/cm.yaml']);
    const outcome = await runPreview(
      message({
        provider: 'bitbucket',
        headSha: change.slice(0, 12),
        headRef: 'refs/heads/change',
      }),
      deps(forge.lookup),
    );
    expect(outcome).toMatchObject({ kind: 'posted', state: 'success' });
    expect(forge.statuses.map((s) => [s.sha, s.state])).toEqual([[change, 'success']]);
    expect(forge.comments[0]!.body).toContain(`preview of ${change.slice(0, 7)}`);
  });

  it('an abbreviated head its branch no longer starts with posts nothing', async () => {
    const forge = recordingForge(url, async () => ['web/cm.yaml']);
    const outcome = await runPreview(
      message({ provider: 'bitbucket', headSha: '0123456789ab', headRef: 'refs/heads/change' }),
      deps(forge.lookup),
    );
    expect(outcome).toMatchObject({ kind: 'skipped' });
    expect(forge.statuses).toEqual([]);
    expect(forge.comments).toEqual([]);
  });

  it('nothing when no application follows the base branch, or no credentials cover the repository', async () => {
    const forge = recordingForge(url, async () => ['web/cm.yaml']);
    expect(await runPreview(message({ baseBranch: 'release' }), deps(forge.lookup))).toEqual({
      kind: 'skipped',
      reason: 'no application follows release',
    });
    expect(
      await runPreview(
        message(),
        deps(() => undefined),
      ),
    ).toMatchObject({
      kind: 'skipped',
      reason: expect.stringMatching(/^no forge credentials cover /),
    });
    expect(forge.statuses).toEqual([]);
  });

  describe('as a queue message (previewMessage)', () => {
    const failingForge = (status: number) => {
      const forge = recordingForge(url, async () => ['web/cm.yaml']);
      const error = new ForgeError(
        { forge: 'github', method: 'POST', path: '/repos/acme/config/statuses/x', status },
        'answered',
      );
      return (u: string) => {
        const target = forge.lookup(u);
        if (!target) return undefined;
        return {
          ...target,
          client: { ...target.client, setCommitStatus: async () => Promise.reject(error) },
        };
      };
    };

    it("a forge's final refusal (403) drops the message with its reason; a 502 comes back in a minute", async () => {
      const refused = await previewMessage(message(), { ...deps(failingForge(403)) });
      expect(refused).toMatchObject({ kind: 'dropped', reason: expect.stringContaining('403') });
      const flaky = await previewMessage(message(), { ...deps(failingForge(502)) });
      expect(flaky).toMatchObject({ kind: 'retry', retryAfterMs: PREVIEW_RETRY_MS });
    });

    it('a preview that fails after its pending status says so: error, never left pending', async () => {
      const forge = recordingForge(url, async () => ['web/cm.yaml']);
      const refusing: ForgeLookup = (u) => {
        const target = forge.lookup(u);
        if (!target) return undefined;
        const tooLong = new ForgeError(
          {
            forge: 'github',
            method: 'POST',
            path: '/repos/acme/config/issues/7/comments',
            status: 422,
          },
          'body is too long',
        );
        return {
          ...target,
          client: { ...target.client, upsertPullRequestComment: () => Promise.reject(tooLong) },
        };
      };
      const outcome = await previewMessage(message(), deps(refusing));
      expect(outcome).toMatchObject({ kind: 'dropped', reason: expect.stringContaining('422') });
      expect(forge.statuses.map((s) => s.state)).toEqual(['pending', 'error']);
      expect(forge.statuses[1]!.description).toMatch(
        /^Preview failed: github POST .* 422 body is too long/,
      );
    });

    it("a rate limit (GitHub's 403) comes back later", async () => {
      const forge = recordingForge(url, async () => ['web/cm.yaml']);
      const limited = new ForgeError(
        { forge: 'github', method: 'POST', path: '/repos/acme/config/statuses/x', status: 403 },
        'API rate limit exceeded for installation',
      );
      const lookup: ForgeLookup = (u) => {
        const target = forge.lookup(u);
        return (
          target && {
            ...target,
            client: { ...target.client, setCommitStatus: () => Promise.reject(limited) },
          }
        );
      };
      expect(await previewMessage(message(), deps(lookup))).toMatchObject({
        kind: 'retry',
        retryAfterMs: PREVIEW_RETRY_MS,
      });
    });

    it("a Bitbucket fork's pull request is skipped with its reason", async () => {
      const forge = recordingForge(url, async () => ['web/cm.yaml']);
      const fork = message({ provider: 'bitbucket', headSha: change.slice(0, 12), fork: true });
      delete (fork as { headRef?: string }).headRef;
      expect(await runPreview(fork, deps(forge.lookup))).toMatchObject({
        kind: 'skipped',
        reason: expect.stringContaining('Bitbucket fork'),
      });
      expect(forge.statuses).toEqual([]);
    });

    it('credentials that cannot be read now: retried, not dropped; none configured: dropped', async () => {
      const base = deps(() => undefined);
      const { forges: _forges, ...without } = base;
      expect(
        await previewMessage(message(), { ...without, forgesUnavailable: 'secret unreadable' }),
      ).toMatchObject({ kind: 'retry', reason: 'secret unreadable' });
      expect(await previewMessage(message(), without)).toMatchObject({ kind: 'dropped' });
    });

    it("too close to the reconciler's deadline: not started, back at once", async () => {
      const forge = recordingForge(url, async () => ['web/cm.yaml']);
      const outcome = await previewMessage(message(), deps(forge.lookup), Date.now() + 5_000);
      expect(outcome).toMatchObject({ kind: 'retry', retryAfterMs: 0 });
      expect(forge.statuses).toEqual([]);
    });
  });
});
