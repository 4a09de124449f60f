import type { DiffAnswer } from '../api/types.ts';
import { DiffView } from '../diff/diff-view.tsx';
import { describeRef } from '../format.ts';
import { Badge } from './badges.tsx';

/** Objects a dry run would change, each with its diff; and the hooks a sync would run. */
export function DiffPanel({ diff }: { diff: DiffAnswer }) {
  if (diff.status === 'Failed') return <p class="error">The dry run failed: {diff.error}</p>;
  const changed = diff.objects.filter((o) => o.action !== 'Unchanged');
  if (!changed.length)
    return <p>The live objects match revision {diff.revision.slice(0, 7)}: nothing to sync.</p>;
  return (
    <div class="diffs">
      {changed.map((o) => (
        <div key={describeRef(o.ref)} class="changed-object">
          <p>
            <Badge value={o.action} /> {describeRef(o.ref)}
            {o.message ? <span class="reason"> {o.message}</span> : null}
          </p>
          {o.diff ? <DiffView diff={o.diff} label={describeRef(o.ref)} /> : null}
        </div>
      ))}
      {diff.hooks.length ? (
        <p>
          A sync would run the hooks{' '}
          {diff.hooks.map((h) => `${h.phase} ${describeRef(h.ref)}`).join(', ')}.
        </p>
      ) : null}
    </div>
  );
}

/** "2 to configure, 1 to create": what a preview found, counted. */
export function countsText(diff: DiffAnswer): string {
  const words: [keyof DiffAnswer['counts'], string][] = [
    ['Created', 'to create'],
    ['Configured', 'to configure'],
    ['Pruned', 'to prune'],
    ['Failed', 'failing'],
  ];
  const parts = words.filter(([k]) => diff.counts[k]).map(([k, w]) => `${diff.counts[k]} ${w}`);
  return parts.length ? parts.join(', ') : 'no change';
}
