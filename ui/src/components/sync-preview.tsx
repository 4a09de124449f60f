import { useEffect, useState } from 'preact/hooks';
import { appPath, get } from '../api/client.ts';
import type { AppSummary, DiffAnswer } from '../api/types.ts';
import { clustersOf } from '../app-status.ts';
import { countsText, DiffPanel } from './diff-panel.tsx';
import { ErrorNote } from './error-note.tsx';

/** The dry runs a sync is confirmed on: one per destination, each read once when the dialog opens. */
export function useSyncPreview(app: AppSummary): { previews?: DiffAnswer[]; error?: string } {
  const [previews, setPreviews] = useState<DiffAnswer[]>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    const clusters = app.destinations ? clustersOf(app) : [undefined];
    Promise.all(
      clusters.map(async (c) => (await get<DiffAnswer>(appPath(app.name, 'diff', c))).body),
    )
      .then(setPreviews)
      .catch((err: Error) => setError(err.message));
  }, [app.name]);
  return { previews, error };
}

/** What the sync dialog says will happen: per destination, what the dry run would change. */
export function SyncPreview({
  app,
  previews,
  error,
}: {
  app: AppSummary;
  previews?: DiffAnswer[] | undefined;
  error?: string | undefined;
}) {
  if (error) return <ErrorNote error={`The preview failed: ${error}`} />;
  if (!previews) return <p role="status">Running a dry run to preview the sync…</p>;
  return (
    <div class="preview">
      <p>
        Syncing {app.name} applies revision {previews[0]?.revision.slice(0, 7)} of{' '}
        {app.targetRevision}
        {app.destinations ? ', wave by wave,' : ''} to {clustersOf(app).join(', ')}. The dry run
        found:
      </p>
      {previews.map((p) => (
        <section key={p.cluster} aria-label={`Preview for ${p.cluster}`}>
          <h3>
            {p.cluster}: {countsText(p)}
          </h3>
          <DiffPanel diff={p} />
        </section>
      ))}
    </div>
  );
}
