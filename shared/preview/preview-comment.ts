import { describeRef } from '../kube/object.ts';
import { needsLiveHealth } from '../health/assess.ts';
import type { ObjectResult } from '../sync/result.ts';
import { cell, fenced } from './markdown.ts';
import { failureOf, previewFailed, type PreviewRun } from './preview-run.ts';

/** Finds the comment again on the next push, so it is updated rather than repeated. */
export const PREVIEW_MARKER = '<!-- driftless-preview -->';

export interface CommentOptions {
  headSha: string;
  /** Per-object diffs; off for a fork's pull request, whose head may be crafted to read the cluster back. */
  diffs: boolean;
  /** The forge's limit (GitHub: 65,536 characters); diffs that do not fit are named, not shown. */
  maxChars: number;
}

const CHANGES: ObjectResult['action'][] = ['Created', 'Configured', 'Pruned'];
/** Diffs left out are named, up to this many; the room kept for the note fits them. */
const NAMED_LEFT = 10;
const changed = (o: ObjectResult) => CHANGES.includes(o.action);
const healthRelevant = (o: ObjectResult) =>
  changed(o) && needsLiveHealth(o.ref.apiVersion, o.ref.kind);

function summaryRow(run: PreviewRun): string {
  const counts = run.result?.counts;
  const n = (action: ObjectResult['action']) => String(counts?.[action] ?? 0);
  const health = (run.result?.objects ?? []).filter(healthRelevant);
  const healthCell = health.length
    ? health.map((o) => `${o.action.toLowerCase()} ${describeRef(o.ref)}`).join(', ')
    : '—';
  const failed = previewFailed(run)
    ? `${n('Failed') === '0' ? '' : `${n('Failed')}: `}${failureOf(run)}`
    : n('Failed');
  return `| ${cell(run.app)} | ${cell(run.cluster)} | ${n('Created')} | ${n('Configured')} | ${n('Pruned')} | ${cell(failed)} | ${cell(healthCell)} |`;
}

function objectDetails(run: PreviewRun, o: ObjectResult): string {
  const summary = `${cell(run.app)} on ${cell(run.cluster)}: ${o.action.toLowerCase()} ${cell(describeRef(o.ref))}`;
  const body = o.diff ? fenced(o.diff, 'diff') : cell(o.message ?? 'no diff');
  return `<details><summary>${summary}</summary>\n\n${body}\n\n</details>`;
}

/**
 * The pull request's preview comment: one table row per application and
 * destination, then a collapsible diff per changed object (Secret values
 * are masked by the engine's diff), as many as fit.
 */
export function previewComment(runs: PreviewRun[], options: CommentOptions): string {
  const head = [
    PREVIEW_MARKER,
    `### Driftless preview of ${options.headSha.slice(0, 7)}`,
    '',
    `What merging this pull request would do to ${runs.length} application destination${runs.length === 1 ? '' : 's'} (a server-side dry run against each cluster; nothing was applied).`,
    '',
    '| Application | Destination | Created | Configured | Pruned | Failed | Health-relevant changes |',
    '|---|---|---:|---:|---:|---|---|',
    ...runs.map(summaryRow),
  ].join('\n');
  if (!options.diffs)
    return `${head}\n\nPer-object diffs are not shown for pull requests from forks.\n`;
  const details = runs.flatMap((run) =>
    (run.result?.objects ?? [])
      .filter((o) => changed(o) || o.action === 'Failed')
      .map((o) => ({ run, o, text: objectDetails(run, o) })),
  );
  const shown: string[] = [];
  let size = head.length;
  const left: string[] = [];
  for (const d of details) {
    // Room for the note about what did not fit, names included.
    if (size + d.text.length + 2 + 2_000 > options.maxChars) {
      left.push(`${d.run.app}: ${describeRef(d.o.ref)}`);
      continue;
    }
    shown.push(d.text);
    size += d.text.length + 2;
  }
  const note = left.length
    ? `\n\n${left.length} more diff${left.length === 1 ? '' : 's'} did not fit in this comment (${left
        .slice(0, NAMED_LEFT)
        .map(cell)
        .join(
          ', ',
        )}${left.length > NAMED_LEFT ? ', …' : ''}); \`driftless diff --revision ${options.headSha}\` shows them all.`
    : '';
  return `${[head, ...shown].join('\n\n')}${note}\n`;
}
