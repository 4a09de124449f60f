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

/** A name of a diff left out is cut to this, so the note about them fits its reserve. */
const NAME_CHARS = 120;
/** What the note naming left-out diffs takes at most (NAMED_LEFT names, the words around them). */
const NOTE_RESERVE = NAMED_LEFT * (NAME_CHARS * 2 + 2) + 300;

/**
 * The heading and the table, its rows as many as fit in `budget` characters:
 * a change to a base shared by a fleet must still fit one comment.
 */
function table(runs: PreviewRun[], headSha: string, budget: number): string {
  const rows: string[] = [];
  let size = 0;
  for (const row of runs.map(summaryRow)) {
    if (size + row.length + 1 > budget) break;
    rows.push(row);
    size += row.length + 1;
  }
  const more =
    rows.length < runs.length
      ? [`| … | ${runs.length - rows.length} more not shown | | | | | |`]
      : [];
  return [
    PREVIEW_MARKER,
    `### Driftless preview of ${headSha.slice(0, 7)}`,
    '',
    `What merging this pull request would do to ${runs.length} application destination${runs.length === 1 ? '' : 's'} (a server-side dry run against each cluster; nothing was applied).`,
    '',
    '| Application | Destination | Created | Configured | Pruned | Failed | Health-relevant changes |',
    '|---|---|---:|---:|---:|---|---|',
    ...rows,
    ...more,
  ].join('\n');
}

function leftNote(left: string[], headSha: string): string {
  if (left.length === 0) return '';
  const names = left.slice(0, NAMED_LEFT).map((name) => cell(name.slice(0, NAME_CHARS)));
  const etc = left.length > NAMED_LEFT ? ', …' : '';
  return `\n\n${left.length} more diff${left.length === 1 ? '' : 's'} did not fit in this comment (${names.join(', ')}${etc}); \`driftless diff --revision ${headSha}\` shows them all.`;
}

/**
 * The pull request's preview comment: one table row per application and
 * destination, then a collapsible diff per changed object (Secret values
 * are masked by the engine's diff), as many as fit.
 */
export function previewComment(runs: PreviewRun[], options: CommentOptions): string {
  // Half for the table at most: the rest is for diffs, or at least the note about them.
  const head = table(runs, options.headSha, options.maxChars / 2 - NOTE_RESERVE);
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
    if (size + d.text.length + 2 + NOTE_RESERVE > options.maxChars) {
      left.push(`${d.run.app}: ${describeRef(d.o.ref)}`);
      continue;
    }
    shown.push(d.text);
    size += d.text.length + 2;
  }
  return `${[head, ...shown].join('\n\n')}${leftNote(left, options.headSha)}\n`;
}
