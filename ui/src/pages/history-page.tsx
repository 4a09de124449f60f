import { useState } from 'preact/hooks';
import { appPath, post } from '../api/client.ts';
import type { AppSummary, HistoryAnswer, HistoryRecord } from '../api/types.ts';
import { AppHeader } from '../components/app-header.tsx';
import { Badge } from '../components/badges.tsx';
import { ConfirmDialog } from '../components/confirm-dialog.tsx';
import { ErrorNote } from '../components/error-note.tsx';
import { Revision } from '../components/revision.tsx';
import { duration, isoTime, shortRevision } from '../format.ts';
import { usePoll } from '../live/use-poll.ts';

/** A rollback target: a history number where it is the rollback's own history, else the revision. */
interface Target {
  entry: HistoryRecord;
  bySeq: boolean;
}

function trigger(entry: HistoryRecord): string {
  const t = entry.trigger;
  const base = t.kind === 'rollback' && t.rollbackOf ? `rollback to #${t.rollbackOf}` : t.kind;
  return `${base}${t.by ? ` by ${t.by}` : ''}${t.reason ? ` (${t.reason})` : ''}`;
}

function Timeline(props: {
  history: HistoryRecord[];
  app: AppSummary;
  current: string | undefined;
  bySeq: boolean;
  onRollback: (t: Target) => void;
}) {
  if (!props.history.length) return <p>No syncs recorded yet.</p>;
  return (
    <ol class="timeline">
      {props.history.map((entry) => (
        <li key={entry.seq}>
          <p class="when">
            <strong>#{entry.seq}</strong>{' '}
            <time dateTime={isoTime(entry.startedAt)}>
              {new Date(entry.startedAt).toLocaleString()}
            </time>
          </p>
          <p>
            <Badge value={entry.result.outcome} />{' '}
            <Revision repoURL={props.app.repoURL} revision={entry.revision} />, {trigger(entry)},{' '}
            {duration(entry.finishedAt - entry.startedAt)}: {entry.result.applied} applied,{' '}
            {entry.result.pruned} pruned
            {entry.result.message ? `: ${entry.result.message}` : ''}
          </p>
          {entry.result.outcome !== 'failed' && entry.revision !== props.current ? (
            <button type="button" onClick={() => props.onRollback({ entry, bySeq: props.bySeq })}>
              Roll back to #{entry.seq} ({shortRevision(entry.revision)})
            </button>
          ) : null}
        </li>
      ))}
    </ol>
  );
}

function RollbackDialog({
  app,
  target,
  onClose,
}: {
  app: AppSummary;
  target: Target;
  onClose: (m?: string) => void;
}) {
  const { entry, bySeq } = target;
  return (
    <ConfirmDialog
      title={`Roll back ${app.name}?`}
      confirmLabel={`Roll back to ${shortRevision(entry.revision)}`}
      onConfirm={() =>
        post(
          appPath(app.name, 'rollback'),
          bySeq ? { seq: entry.seq } : { revision: entry.revision },
        )
      }
      onClose={onClose}
    >
      <p>
        {app.name} will sync revision {shortRevision(entry.revision)} again (history #{entry.seq},
        the manifests as they were rendered then)
        {app.destinations ? ', on every destination, wave by wave' : ''}. Automated syncs then hold
        at that revision until a newer commit is pushed or the application is resumed.
      </p>
    </ConfirmDialog>
  );
}

/** The syncs as a timeline (per destination for a rollout), each successful one with its rollback. */
export function HistoryPage({ name }: { name: string }) {
  const summary = usePoll<AppSummary>(appPath(name));
  const history = usePoll<HistoryAnswer>(appPath(name, 'history'));
  const [target, setTarget] = useState<Target>();
  const [message, setMessage] = useState<string>();
  const app = summary.data;
  if (!app)
    return summary.error ? <ErrorNote error={summary.error} /> : <p role="status">Loading…</p>;
  const close = (m?: string) => {
    setTarget(undefined);
    if (!m) return;
    setMessage(m);
    history.refresh();
    summary.refresh();
  };
  const data = history.data;
  return (
    <>
      <AppHeader app={app} page="history" />
      <h2>History</h2>
      {message ? (
        <p role="status" class="notice">
          {message}
        </p>
      ) : null}
      <ErrorNote error={history.error} />
      {!data ? null : 'history' in data ? (
        <Timeline
          history={data.history}
          app={app}
          current={app.state?.syncedRevision}
          bySeq
          onRollback={setTarget}
        />
      ) : (
        data.destinations.map((d, i) => (
          <section key={d.cluster} aria-label={`History of ${d.cluster}`}>
            <h3>
              {d.cluster} (wave {d.wave})
            </h3>
            <Timeline
              history={d.history}
              app={app}
              current={
                app.destinations?.find((x) => x.cluster === d.cluster)?.state?.syncedRevision
              }
              bySeq={i === 0}
              onRollback={setTarget}
            />
          </section>
        ))
      )}
      {target ? <RollbackDialog app={app} target={target} onClose={close} /> : null}
    </>
  );
}
