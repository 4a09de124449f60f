import { useEffect, useState } from 'preact/hooks';
import { appPath } from '../api/client.ts';
import type { AppState, AppSummary, RolloutAnswer } from '../api/types.ts';
import { AppHeader } from '../components/app-header.tsx';
import { Badge } from '../components/badges.tsx';
import { ErrorNote } from '../components/error-note.tsx';
import { Revision } from '../components/revision.tsx';
import { ago, isoTime, shortRevision } from '../format.ts';
import { usePoll } from '../live/use-poll.ts';

function Bake({ state, now }: { state: AppState | null; now: number }) {
  const bake = state?.bake;
  if (!bake) return <>—</>;
  if (bake.failed) return <span class="error-text">bake failed: {bake.failed}</span>;
  const total = bake.until - bake.startedAt;
  const done = Math.min(total, Math.max(0, now - bake.startedAt));
  const label = `Bake of ${shortRevision(bake.revision)}`;
  return (
    <>
      <progress max={total} value={done} aria-label={label} />{' '}
      {done >= total ? 'baked' : `${Math.round((total - done) / 1000)} s left`}
    </>
  );
}

type Destination = RolloutAnswer['destinations'][number];

/** The time, every second: a bake's progress moves though the answer it comes from is unchanged. */
function useNow(): number {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1_000);
    return () => clearInterval(timer);
  }, []);
  return now;
}

function DestinationRow({ d, app, now }: { d: Destination; app: AppSummary; now: number }) {
  return (
    <tr>
      <th scope="row">
        {d.cluster}
        {d.namespace ? `/${d.namespace}` : ''}
      </th>
      <td>
        <Revision repoURL={app.repoURL} revision={d.state?.syncedRevision} />
      </td>
      <td>
        <Badge value={d.state?.syncStatus ?? 'Never synced'} />{' '}
        <Badge value={d.state?.health ?? 'Unknown'} />
      </td>
      <td>
        <Bake state={d.state} now={now} />
      </td>
      <td>
        {d.alarms.length
          ? d.alarms.map((a) => (
              <span key={a.name} class="alarm">
                {a.name} <Badge value={a.state} />
              </span>
            ))
          : '—'}
      </td>
    </tr>
  );
}

/** A multi-destination application: its waves, what each destination runs, bakes and alarms, and where rollouts stopped. */
export function RolloutPage({ name }: { name: string }) {
  const now = useNow();
  const summary = usePoll<AppSummary>(appPath(name));
  const rollout = usePoll<RolloutAnswer>(
    summary.data?.destinations ? appPath(name, 'rollout') : undefined,
  );
  const app = summary.data;
  if (!app)
    return summary.error ? <ErrorNote error={summary.error} /> : <p role="status">Loading…</p>;
  const data = rollout.data;
  const waves = data ? [...new Set(data.destinations.map((d) => d.wave))] : [];
  return (
    <>
      <AppHeader app={app} page="rollout" />
      <h2>Rollout</h2>
      {!app.destinations ? <p>{app.name} has one destination: it has no rollout.</p> : null}
      <ErrorNote error={rollout.error} />
      {data && !data.alarmSource ? (
        <p>
          Alarm states are unreadable here: serve reads CloudWatch alarms only with an AWS region
          set.
        </p>
      ) : null}
      {waves.map((wave) => (
        <section key={wave} class="wave" aria-labelledby={`wave-${wave}`}>
          <h3 id={`wave-${wave}`}>Wave {wave}</h3>
          <table>
            <thead>
              <tr>
                <th scope="col">Destination</th>
                <th scope="col">Revision</th>
                <th scope="col">Status</th>
                <th scope="col">Bake</th>
                <th scope="col">Alarms</th>
              </tr>
            </thead>
            <tbody>
              {data!.destinations
                .filter((d) => d.wave === wave)
                .map((d) => (
                  <DestinationRow key={d.cluster} d={d} app={app} now={now} />
                ))}
            </tbody>
          </table>
        </section>
      ))}
      {data?.steps.length ? (
        <section aria-labelledby="steps-title">
          <h3 id="steps-title">Revisions rolled out</h3>
          <ol class="timeline">
            {data.steps.map((s) => (
              <li key={s.revision}>
                <Revision repoURL={app.repoURL} revision={s.revision} /> <Badge value={s.status} />{' '}
                {s.reachedWave === undefined
                  ? 'no wave complete yet'
                  : `through wave ${s.reachedWave}`}
                {s.reason ? `: stopped because ${s.reason}` : ''} (
                <time dateTime={isoTime(s.updatedAt)}>{ago(s.updatedAt)}</time>)
              </li>
            ))}
          </ol>
        </section>
      ) : null}
    </>
  );
}
