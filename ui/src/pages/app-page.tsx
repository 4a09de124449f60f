import { useEffect, useState } from 'preact/hooks';
import { appPath, get } from '../api/client.ts';
import type { AppSummary, DiffAnswer, HistoryAnswer, TreeAnswer } from '../api/types.ts';
import { clustersOf } from '../app-status.ts';
import { ActionBar } from '../components/action-bar.tsx';
import { AppHeader } from '../components/app-header.tsx';
import { DiffPanel } from '../components/diff-panel.tsx';
import { DriftSummary } from '../components/drift-summary.tsx';
import { ErrorNote } from '../components/error-note.tsx';
import { LastHooks } from '../components/last-hooks.tsx';
import { ObjectTree } from '../components/object-tree.tsx';
import { usePoll } from '../live/use-poll.ts';

/** The live diff, read again whenever the destination's state changes (a dry run is too costly to poll). */
function useLiveDiff(
  name: string,
  destination: string | undefined,
  stateKey: string,
  wanted: boolean,
) {
  const [diff, setDiff] = useState<DiffAnswer>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    if (!wanted) return setDiff(undefined);
    get<DiffAnswer>(appPath(name, 'diff', destination))
      .then(({ body }) => {
        setDiff(body);
        setError(undefined);
      })
      .catch((err: Error) => setError(err.message));
  }, [name, destination, stateKey, wanted]);
  return { diff, error };
}

function lastEntry(history: HistoryAnswer | undefined, destination: string | undefined) {
  if (!history) return undefined;
  if ('history' in history) return history.history[0];
  return history.destinations.find((d) => d.cluster === destination)?.history[0];
}

/** One application: its objects, drift, live diff and the hooks of its last sync, and the actions. */
export function AppPage({ name }: { name: string }) {
  const summary = usePoll<AppSummary>(appPath(name));
  const app = summary.data;
  const clusters = app ? clustersOf(app) : [];
  const [chosen, setChosen] = useState<string>();
  const destination = app?.destinations ? (chosen ?? clusters[0]) : undefined;
  const state = app?.destinations
    ? app.destinations.find((d) => d.cluster === destination)?.state
    : app?.state;
  const tree = usePoll<TreeAnswer>(app ? appPath(name, 'tree', destination) : undefined, 5_000);
  const history = usePoll<HistoryAnswer>(app ? appPath(name, 'history') : undefined, 5_000);
  const outOfSync = state?.syncStatus === 'OutOfSync';
  const stateKey = JSON.stringify([
    state?.syncedRevision,
    state?.driftedSince,
    state?.drifted,
    state?.timings,
  ]);
  const live = useLiveDiff(name, destination, stateKey, Boolean(app && outOfSync));
  if (!app)
    return summary.error ? <ErrorNote error={summary.error} /> : <p role="status">Loading…</p>;
  return (
    <>
      <AppHeader app={app} page="app" />
      <ActionBar app={app} onDone={summary.refresh} />
      {app.destinations ? (
        <label for="destination">
          Destination
          <select
            id="destination"
            value={destination}
            onChange={(e) => setChosen((e.target as HTMLSelectElement).value)}
          >
            {clusters.map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </select>
        </label>
      ) : null}
      <DriftSummary state={state} />
      {outOfSync ? (
        <section aria-labelledby="diff-title">
          <h2 id="diff-title">Live diff</h2>
          <ErrorNote error={live.error} />
          {live.diff ? (
            <DiffPanel diff={live.diff} />
          ) : live.error ? null : (
            <p role="status">Running a dry run…</p>
          )}
        </section>
      ) : null}
      <section aria-labelledby="objects-title">
        <h2 id="objects-title">Objects</h2>
        <ErrorNote error={tree.error} />
        {tree.data ? (
          <ObjectTree tree={tree.data.tree} />
        ) : tree.error ? null : (
          <p role="status">Reading the live objects…</p>
        )}
      </section>
      <section aria-labelledby="hooks-title">
        <h2 id="hooks-title">Hooks of the last sync</h2>
        <ErrorNote error={history.error} />
        <LastHooks entry={lastEntry(history.data, destination)} />
      </section>
    </>
  );
}
