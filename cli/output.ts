import type { SyncResult } from '../shared/sync/result.ts';
import { describeRef } from '../shared/kube/object.ts';
import type { AppState } from '../shared/state/app-state.ts';
import { withCliHints } from './errors.ts';

export interface Style {
  color: boolean;
}

const CODES = { red: 31, green: 32, yellow: 33, cyan: 36, dim: 2, bold: 1 } as const;

export function paint(style: Style, color: keyof typeof CODES, text: string): string {
  return style.color ? `\x1b[${CODES[color]}m${text}\x1b[0m` : text;
}

/** Colour only on a terminal, and never when NO_COLOR is set. */
export function styleFor(stream: NodeJS.WriteStream): Style {
  return { color: Boolean(stream.isTTY) && !process.env.NO_COLOR };
}

/** Plain left-aligned columns. */
export function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows
    .map((r) =>
      r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  '),
    )
    .join('\n');
}

/**
 * A drifted application's status message: since when, and the first drifted
 * object with why (`ago` is how long ago, as the status table says it).
 */
export function formatDrift(state: AppState, ago: string): string {
  if (state.driftedSince === undefined) return '';
  const drifted = state.drifted ?? [];
  const count = state.driftedCount ?? drifted.length;
  const first = drifted[0];
  const what = first
    ? `: ${describeRef(first)} ${first.reason}${count > 1 ? ` (+${count - 1} more)` : ''}`
    : '';
  return `drifted since ${new Date(state.driftedSince).toISOString()} (${ago})${what}`;
}

export function shortSha(revision: string): string {
  return /^[0-9a-f]{40}$/.test(revision) ? revision.slice(0, 7) : revision;
}

/** The result as `--output json` prints it: everything but the internal inventory. */
export function resultJson(
  result: SyncResult,
): Omit<SyncResult, 'inventory'> & { inSync: boolean } {
  const { inventory: _inventory, ...rest } = result;
  return { ...rest, inSync: result.status === 'Synced' };
}

function colorDiff(style: Style, diff: string): string {
  return diff
    .split('\n')
    .filter((line) => !line.startsWith('===') && line !== '')
    .map((line) => {
      if (line.startsWith('+++') || line.startsWith('---')) return paint(style, 'bold', line);
      if (line.startsWith('+')) return paint(style, 'green', line);
      if (line.startsWith('-')) return paint(style, 'red', line);
      if (line.startsWith('@@')) return paint(style, 'cyan', line);
      return line;
    })
    .join('\n');
}

const MARK: Record<string, string> = {
  Created: '+',
  Configured: '~',
  Pruned: '-',
  Failed: '!',
  Skipped: '?',
  Unchanged: ' ',
};

/** The hooks a sync ran (or, in a dry run, would run), in run order. */
export function formatHooks(result: SyncResult): string {
  if (result.hooks.length === 0) return '';
  const rows = [['HOOK', 'KIND', 'NAMESPACE', 'NAME', 'STATUS', 'MESSAGE']];
  for (const h of result.hooks) {
    rows.push([
      h.phase,
      h.ref.kind,
      h.ref.namespace ?? '',
      h.ref.name,
      h.status,
      (h.message ?? '').split('\n')[0] ?? '',
    ]);
  }
  return table(rows);
}

/** The per-object diff of a dry run, changed objects only, then the hooks that would run. */
export function formatDiff(result: SyncResult, style: Style): string {
  const parts: string[] = [];
  for (const o of result.objects) {
    if (o.action === 'Unchanged') continue;
    const verb = result.dryRun && o.action === 'Pruned' ? 'would be pruned' : o.action;
    parts.push(
      paint(style, 'bold', `${MARK[o.action] ?? ' '} ${describeRef(o.ref)} (${verb})`) +
        (o.message ? `\n  ${o.message}` : ''),
    );
    if (o.diff) parts.push(colorDiff(style, o.diff));
  }
  const hooks = formatHooks(result);
  if (hooks) parts.push(hooks);
  return parts.join('\n');
}

/** The closing summary of a diff or sync. */
export function formatSummary(result: SyncResult, style: Style): string {
  const c = result.counts;
  const counts = [
    `${c.Created} created`,
    `${c.Configured} configured`,
    `${c.Unchanged} unchanged`,
    `${c.Pruned} pruned`,
  ];
  if (c.Skipped) counts.push(`${c.Skipped} skipped`);
  if (c.Failed) counts.push(`${c.Failed} failed`);
  const status =
    result.status === 'Synced'
      ? paint(style, 'green', 'Synced')
      : result.status === 'OutOfSync'
        ? paint(style, 'yellow', 'OutOfSync')
        : paint(style, 'red', 'Failed');
  const health =
    result.health.status === 'Healthy'
      ? paint(style, 'green', 'Healthy')
      : paint(style, result.health.status === 'Degraded' ? 'red' : 'yellow', result.health.status);
  const lines = [
    `${status} ${result.app} at ${shortSha(result.revision)} on ${result.cluster}${result.dryRun ? ' (dry run)' : ''}: ${counts.join(', ')}; health ${health}${result.health.message ? ` (${result.health.message})` : ''}; ${(result.timings.totalMs / 1000).toFixed(1)} s`,
  ];
  const heldBack = result.objects.filter((o) => o.heldBack);
  if (heldBack.length)
    lines.push(
      paint(
        style,
        'yellow',
        `held back from prune, as deleting them would delete objects outside the application: ${heldBack.map((o) => describeRef(o.ref)).join(', ')}`,
      ),
    );
  const orphans = formatOrphans(result);
  if (orphans) lines.push(paint(style, 'yellow', orphans));
  if (result.error)
    lines.push(
      paint(
        style,
        'red',
        `error${result.phase ? ` (${result.phase})` : ''}: ${withCliHints(result.error)}`,
      ),
    );
  return lines.join('\n');
}

/** The project's orphanedResources warning: objects in the application's namespaces nobody declared. */
function formatOrphans(result: SyncResult): string | undefined {
  const report = result.orphans;
  if (!report || (report.total === 0 && !report.errors.length)) return undefined;
  const lines: string[] = [];
  if (report.total) {
    const more = report.total - report.objects.length;
    lines.push(
      `warning: ${report.total} object(s) in the application's namespaces belong to no application (project ${result.project ?? 'default'}, orphanedResources): ${report.objects.map(describeRef).join(', ')}${more > 0 ? ` and ${more} more` : ''}`,
    );
  }
  for (const e of report.errors) lines.push(`warning: orphaned resources: ${e}`);
  return lines.join('\n');
}

/** The table of objects at the end of a sync. */
export function formatObjects(result: SyncResult): string {
  const rows = [['KIND', 'NAMESPACE', 'NAME', 'ACTION', 'HEALTH', 'MESSAGE']];
  for (const o of result.objects) {
    rows.push([
      o.ref.kind,
      o.ref.namespace ?? '',
      o.ref.name,
      o.action,
      o.health?.status ?? '',
      (o.message ?? o.health?.message ?? '').split('\n')[0] ?? '',
    ]);
  }
  return table(rows);
}
