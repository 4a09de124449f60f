import { useState } from 'preact/hooks';
import { parseUnified, sideBySide, type DiffLine } from './parse-diff.ts';

const MARK: Record<DiffLine['kind'], string> = { context: ' ', removed: '-', added: '+', hunk: '' };

function Line({ line }: { line: DiffLine | undefined }) {
  if (!line) return <td class="diff-empty" />;
  return (
    <td class={`diff-${line.kind}`}>
      <span class="diff-mark" aria-hidden="true">
        {MARK[line.kind]}
      </span>
      {line.text}
    </td>
  );
}

/**
 * One object's diff (live → desired, Secret values already masked by the
 * engine), unified or side by side. Removed and added lines are marked by a
 * sign and a label for screen readers, not by colour alone.
 */
export function DiffView({ diff, label }: { diff: string; label: string }) {
  const [mode, setMode] = useState<'unified' | 'split'>('unified');
  const lines = parseUnified(diff);
  return (
    <figure class="diff">
      <figcaption>
        <span>{label}</span>
        <span role="group" aria-label={`Diff layout for ${label}`} class="toggle">
          <button
            type="button"
            aria-pressed={mode === 'unified'}
            onClick={() => setMode('unified')}
          >
            Unified
          </button>
          <button type="button" aria-pressed={mode === 'split'} onClick={() => setMode('split')}>
            Side by side
          </button>
        </span>
      </figcaption>
      <div class="diff-scroll" tabIndex={0} aria-label={`Diff of ${label}`}>
        {mode === 'unified' ? (
          <table class="diff-table">
            <tbody>
              {lines.map((line, i) => (
                <tr key={i}>
                  <Line line={line} />
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <table class="diff-table split">
            <thead>
              <tr>
                <th scope="col">Live</th>
                <th scope="col">Desired</th>
              </tr>
            </thead>
            <tbody>
              {sideBySide(lines).map((row, i) => (
                <tr key={i}>
                  <Line line={row.left} />
                  <Line line={row.right} />
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
    </figure>
  );
}
