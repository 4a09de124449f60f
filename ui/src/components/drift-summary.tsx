import type { AppState } from '../api/types.ts';
import { ago, describeRef, isoTime } from '../format.ts';
import { Badge } from './badges.tsx';

/** Since when the live objects differ from the synced revision, and which do, as the last drift check found them. */
export function DriftSummary({ state }: { state: AppState | null | undefined }) {
  if (!state?.driftedSince) return null;
  const more = (state.driftedCount ?? 0) - (state.drifted?.length ?? 0);
  return (
    <section aria-labelledby="drift-title" class="drift">
      <h2 id="drift-title">
        Drifted since <time dateTime={isoTime(state.driftedSince)}>{ago(state.driftedSince)}</time>
      </h2>
      <ul>
        {(state.drifted ?? []).map((d) => (
          <li key={describeRef(d)}>
            <Badge value={d.action} /> {describeRef(d)}: {d.reason}
          </li>
        ))}
        {more > 0 ? <li>and {more} more</li> : null}
      </ul>
    </section>
  );
}
