import type { CaseResult } from './result.ts';

const seconds = (s: number | undefined): string => (s === undefined ? '' : `${s.toFixed(2)} s`);

/** The results as a plain-text table for stdout (and, as Markdown, for the README). */
export function table(cases: CaseResult[]): string {
  const rows = cases.map((c) => [
    c.name,
    c.bytes !== undefined ? `${(c.bytes / 1024 / 1024).toFixed(2)} MiB` : seconds(c.ours_s),
    c.import_s !== undefined ? `import ${seconds(c.import_s)}` : (c.baseline ?? ''),
    c.bytes !== undefined ? '' : seconds(c.baseline_s),
    c.ratio !== undefined ? `${c.ratio}x` : '',
    c.flux_s !== undefined
      ? `${seconds(c.flux_s)} (${c.flux_ratio}x our engine ${seconds(c.engine_s)})`
      : '',
    c.usd_per_app_month !== undefined ? `$${c.usd_per_app_month}` : '',
    c.peak_rss_mb !== undefined ? `${c.peak_rss_mb} MB` : '',
    c.target ?? '',
    c.met === undefined ? '' : c.met ? 'met' : 'MISSED',
  ]);
  const header = [
    'case',
    'ours',
    'baseline',
    'baseline time',
    'ratio',
    "Flux's engine",
    'per app-month',
    'our peak RSS',
    'target',
    '',
  ];
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  const line = (r: string[]) => `| ${r.map((cell, i) => cell.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
