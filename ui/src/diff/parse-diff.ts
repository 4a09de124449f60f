/** One line of a unified diff: context, removed (live only) or added (desired only). */
export interface DiffLine {
  kind: 'context' | 'removed' | 'added' | 'hunk';
  text: string;
}

/** One row of the side-by-side view: the live line on the left, the desired one on the right. */
export interface SideRow {
  left?: DiffLine;
  right?: DiffLine;
}

/** The lines of a unified diff (as the engine writes it: `createTwoFilesPatch`), without its file headers. */
export function parseUnified(diff: string): DiffLine[] {
  const lines: DiffLine[] = [];
  for (const line of diff.split('\n')) {
    if (
      line.startsWith('===') ||
      line.startsWith('---') ||
      line.startsWith('+++') ||
      line.startsWith('Index:')
    )
      continue;
    if (line.startsWith('@@')) lines.push({ kind: 'hunk', text: line });
    else if (line.startsWith('-')) lines.push({ kind: 'removed', text: line.slice(1) });
    else if (line.startsWith('+')) lines.push({ kind: 'added', text: line.slice(1) });
    else if (line.startsWith(' ')) lines.push({ kind: 'context', text: line.slice(1) });
  }
  return lines;
}

/**
 * Side by side: context on both sides; a run of removed lines faces the run
 * of added lines that follows it, row by row, so a changed line sits next to
 * its new value.
 */
export function sideBySide(lines: DiffLine[]): SideRow[] {
  const rows: SideRow[] = [];
  let removed: DiffLine[] = [];
  let added: DiffLine[] = [];
  const flush = () => {
    for (let i = 0; i < Math.max(removed.length, added.length); i++)
      rows.push({ left: removed[i], right: added[i] });
    removed = [];
    added = [];
  };
  for (const line of lines) {
    if (line.kind === 'removed') {
      if (added.length) flush();
      removed.push(line);
    } else if (line.kind === 'added') added.push(line);
    else {
      flush();
      rows.push({ left: line, right: line });
    }
  }
  flush();
  return rows;
}
