import { normalizeRepoURL } from '../config/repo-url.ts';
import { sourcesOf } from '../config/sources.ts';
import type { ForgeLookup, ForgeTarget } from '../forge/types.ts';
import type { PreviewMessage } from '../queue/message.ts';
import { isFullSha } from '../source/spec.ts';
import { listRegistry } from '../state/registry.ts';
import { mapLimit } from '../util/map-limit.ts';
import { dryRunSubject, type DryRunDeps } from './dry-run-subject.ts';
import { isPullRequestSource } from './head-application.ts';
import { previewComment, PREVIEW_MARKER } from './preview-comment.ts';
import { previewedApplications, type PreviewSubject } from './previewed-applications.ts';
import { failureOf, previewFailed, type PreviewRun } from './preview-run.ts';

export interface PreviewDeps extends DryRunDeps {
  forges: ForgeLookup;
  log?: (event: string, fields: Record<string, unknown>) => void;
}

export type PreviewOutcome =
  | { kind: 'posted'; apps: string[]; runs: PreviewRun[]; state: 'success' | 'failure' }
  | { kind: 'skipped'; reason: string };

export const PREVIEW_CONTEXT = 'driftless/preview';
/** GitHub's limit for a comment body; the others allow more. */
const MAX_COMMENT_CHARS = 65_536;
/** Dry runs at once: each holds a rendered application in memory. */
const CONCURRENCY = 4;

/** Where to report: the forge of the first application that reads the pull request's repository. */
function forgeOf(pr: PreviewMessage, subjects: PreviewSubject[], forges: ForgeLookup) {
  for (const { app } of subjects)
    for (const { source } of sourcesOf(app))
      if (isPullRequestSource(source, pr)) {
        const target = forges(source.repoURL);
        if (target) return target;
      }
  return undefined;
}

/**
 * A pull request's preview: the applications its files touch, each dry-run
 * at its head on every destination, then one comment on the pull request
 * (created, or updated on later pushes) and a `driftless/preview` status on
 * its head commit.
 */
export async function runPreview(pr: PreviewMessage, deps: PreviewDeps): Promise<PreviewOutcome> {
  const log = deps.log ?? (() => {});
  const candidates = previewedApplications(pr, await listRegistry(deps.table), undefined);
  if (candidates.length === 0)
    return { kind: 'skipped', reason: `no application follows ${pr.baseBranch}` };
  const forge = forgeOf(pr, candidates, deps.forges);
  if (!forge)
    return {
      kind: 'skipped',
      reason: `no forge credentials cover ${normalizeRepoURL(pr.repoURLs[0]!)}`,
    };
  const status = (sha: string, state: 'pending' | 'success' | 'failure', description: string) =>
    forge.client.setCommitStatus(forge.repo, { sha, state, context: PREVIEW_CONTEXT, description });
  if (isFullSha(pr.headSha))
    await status(pr.headSha, 'pending', 'Rendering and dry-running the changed applications');
  const files = await pullRequestFiles(forge, pr, log);
  const subjects = previewedApplications(pr, await listRegistry(deps.table), files);
  const runs = (await mapLimit(subjects, CONCURRENCY, (s) => dryRunSubject(s, pr, deps))).flat();
  const head = headCommit(pr, runs);
  if (!head)
    return {
      kind: 'skipped',
      reason: `pull request #${pr.number}: no commit starting with ${pr.headSha} was previewed (its branch moved on, or nothing was affected)`,
    };
  const apps = subjects.map((s) => s.app.metadata.name);
  if (runs.length > 0)
    await forge.client.upsertPullRequestComment(
      forge.repo,
      pr.number,
      PREVIEW_MARKER,
      previewComment(runs, { headSha: head, diffs: !pr.fork, maxChars: MAX_COMMENT_CHARS }),
    );
  const failed = runs.filter(previewFailed);
  const state = failed.length ? 'failure' : 'success';
  await status(head, state, verdict(runs, failed));
  return { kind: 'posted', apps, runs, state };
}

/**
 * The full SHA of the head previewed. Bitbucket names it by an abbreviated
 * hash and the preview read its branch: a branch that no longer starts with
 * that hash has moved on, and the newer push's event brings its own preview.
 */
function headCommit(pr: PreviewMessage, runs: PreviewRun[]): string | undefined {
  if (isFullSha(pr.headSha)) return pr.headSha;
  const parts = runs.flatMap((r) => r.result?.revision.split(',') ?? []);
  return parts.find((part) => isFullSha(part) && part.startsWith(pr.headSha));
}

async function pullRequestFiles(
  forge: ForgeTarget,
  pr: PreviewMessage,
  log: NonNullable<PreviewDeps['log']>,
): Promise<string[] | undefined> {
  try {
    return await forge.client.pullRequestFiles(forge.repo, pr.number);
  } catch (err) {
    // Without the list every application of the repository is previewed: more work, nothing missed.
    log('preview.files_failed', { number: pr.number, error: (err as Error).message });
    return undefined;
  }
}

function verdict(runs: PreviewRun[], failed: PreviewRun[]): string {
  if (runs.length === 0) return 'No application affected';
  if (failed.length > 0) {
    const first = failed[0]!;
    return `${failed.length} of ${runs.length} would fail: ${first.app}@${first.cluster}: ${failureOf(first)}`;
  }
  const changing = runs.filter((r) => r.result?.status === 'OutOfSync').length;
  return `${runs.length} previewed, ${changing} would change`;
}
