import type { HistoryRecord } from '../api/types.ts';
import { describeRef } from '../format.ts';
import { Badge } from './badges.tsx';

/** The hooks the last recorded sync ran, with how each ended. */
export function LastHooks({ entry }: { entry: HistoryRecord | undefined }) {
  if (!entry) return <p>No sync recorded yet.</p>;
  if (!entry.hooks?.length) return <p>The last sync (#{entry.seq}) ran no hooks.</p>;
  return (
    <ul>
      {entry.hooks.map((h) => (
        <li key={`${h.phase}/${describeRef(h.ref)}`}>
          {h.phase} {describeRef(h.ref)} <Badge value={h.status} />
          {h.message ? <span class="reason"> {h.message}</span> : null}
        </li>
      ))}
    </ul>
  );
}
