import { normalizeRepoURL } from '../config/repo-url.ts';
import { sourcesOf } from '../config/sources.ts';
import type { CommitState, ForgeLookup, ForgeTarget } from '../forge/types.ts';
import type { PreviewMessage } from '../queue/message.ts';
import { isFullSha } from '../source/spec.ts';
import { listRegistry, type RegistryEntry } from '../state/registry.ts';
import { mapLimit } from '../util/map-limit.ts';
import { dryRunDestination, previewTargets, type DryRunDeps } from './dry-run-destination.ts';
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
  | { kind: 'skipped'; reason: string }
  /** The caller's signal stopped it before every dry run ran: nothing was posted but `pending`. */
  | { kind: 'stopped' };

export const PREVIEW_CONTEXT = 'driftless/preview';
/** A comment longer than this is not read; the forge's own limit may be lower. */
const MAX_COMMENT_CHARS = 262_144;
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
  // Read once: the files narrow these candidates, they add none.
  const entries = await listRegistry(deps.table);
  const candidates = previewedApplications(pr, entries, undefined);
  if (candidates.length === 0)
    return { kind: 'skipped', reason: `no application follows ${pr.baseBranch}` };
  if (!isFullSha(pr.headSha) && !pr.headRef)
    return {
      kind: 'skipped',
      reason: `pull request #${pr.number} comes from a Bitbucket fork: its head has no ref in the base repository to preview`,
    };
  const forge = forgeOf(pr, candidates, deps.forges);
  if (!forge)
    return {
      kind: 'skipped',
      reason: `no forge credentials cover ${normalizeRepoURL(pr.repoURLs[0]!)}`,
    };
  const status = (state: CommitState, description: string) =>
    forge.client.setCommitStatus(forge.repo, {
      sha: pr.headSha,
      state,
      context: PREVIEW_CONTEXT,
      description,
    });
  if (isFullSha(pr.headSha))
    await status('pending', 'Rendering and dry-running the changed applications');
  try {
    return await previewAndPost(pr, deps, forge, entries);
  } catch (err) {
    // A required check must not stay `pending`: say it failed (best effort; a retry says more).
    if (isFullSha(pr.headSha))
      await status('error', `Preview failed: ${(err as Error).message}`).catch(() => undefined);
    throw err;
  }
}

async function previewAndPost(
  pr: PreviewMessage,
  deps: PreviewDeps,
  forge: ForgeTarget,
  entries: RegistryEntry[],
): Promise<PreviewOutcome> {
  const files = await pullRequestFiles(forge, pr, deps.log ?? (() => {}));
  const subjects = previewedApplications(pr, entries, files);
  const ran = await mapLimit(
    previewTargets(subjects),
    CONCURRENCY,
    (target) => dryRunDestination(target, pr, deps),
    { stop: () => Boolean(deps.signal?.aborted), skipped: () => undefined },
  );
  const runs = ran.filter((run): run is PreviewRun => run !== undefined);
  if (deps.signal?.aborted) return { kind: 'stopped' };
  const head = headCommit(pr, runs);
  if (!head)
    return {
      kind: 'skipped',
      reason: runs.every(previewFailed)
        ? `pull request #${pr.number}: its head ${pr.headSha} could not be read: ${runs[0] ? failureOf(runs[0]) : 'nothing was affected'}`
        : `pull request #${pr.number}: its branch no longer starts with ${pr.headSha}`,
    };
  const state = await post(forge, pr, head, runs);
  return { kind: 'posted', apps: subjects.map((s) => s.app.metadata.name), runs, state };
}

/** The comment (when anything was previewed) and the final status on the head. */
async function post(
  forge: ForgeTarget,
  pr: PreviewMessage,
  head: string,
  runs: PreviewRun[],
): Promise<'success' | 'failure'> {
  if (runs.length > 0)
    await forge.client.upsertPullRequestComment(
      forge.repo,
      pr.number,
      PREVIEW_MARKER,
      previewComment(runs, {
        headSha: head,
        diffs: !pr.fork,
        maxChars: Math.min(MAX_COMMENT_CHARS, forge.client.commentLimit),
      }),
    );
  const failed = runs.filter(previewFailed);
  const state = failed.length ? 'failure' : 'success';
  await forge.client.setCommitStatus(forge.repo, {
    sha: head,
    state,
    context: PREVIEW_CONTEXT,
    description: verdict(runs, failed),
  });
  return state;
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
