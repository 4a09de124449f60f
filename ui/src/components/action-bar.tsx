import { useState } from 'preact/hooks';
import { appPath, post } from '../api/client.ts';
import type { AppSummary } from '../api/types.ts';
import { href } from '../router.ts';
import { ConfirmDialog } from './confirm-dialog.tsx';
import { SyncPreview, useSyncPreview } from './sync-preview.tsx';

function SyncDialog({ app, onClose }: { app: AppSummary; onClose: (m?: string) => void }) {
  const preview = useSyncPreview(app);
  return (
    <ConfirmDialog
      title={`Sync ${app.name}?`}
      confirmLabel="Sync now"
      ready={Boolean(preview.previews)}
      onConfirm={() => post(appPath(app.name, 'sync'))}
      onClose={onClose}
    >
      <SyncPreview app={app} {...preview} />
    </ConfirmDialog>
  );
}

function SuspendDialog({ app, onClose }: { app: AppSummary; onClose: (m?: string) => void }) {
  const [reason, setReason] = useState('');
  return (
    <ConfirmDialog
      title={`Suspend ${app.name}?`}
      confirmLabel="Suspend"
      onConfirm={() => post(appPath(app.name, 'suspend'), reason ? { reason } : {})}
      onClose={onClose}
    >
      <p>
        Scheduled and webhook reconciles will skip {app.name} until it is resumed: pushed commits
        are not applied and drift is not repaired. A sync you start still runs.
      </p>
      <label for="suspend-reason">
        Reason (optional)
        <input
          id="suspend-reason"
          value={reason}
          maxLength={500}
          onInput={(e) => setReason((e.target as HTMLInputElement).value)}
        />
      </label>
    </ConfirmDialog>
  );
}

function ResumeDialog({ app, onClose }: { app: AppSummary; onClose: (m?: string) => void }) {
  return (
    <ConfirmDialog
      title={`Resume ${app.name}?`}
      confirmLabel="Resume"
      onConfirm={() => post(appPath(app.name, 'resume'))}
      onClose={onClose}
    >
      <p>
        Automated reconciles of {app.name} start again at the next schedule or push
        {app.automated ? ', which applies its branch head' : ''}; a rollback hold is lifted.
      </p>
    </ConfirmDialog>
  );
}

type Open = 'sync' | 'suspend' | 'resume' | undefined;

/** Sync (with its preview), suspend, resume, and the way to rollback (per history entry). */
export function ActionBar({ app, onDone }: { app: AppSummary; onDone: () => void }) {
  const [open, setOpen] = useState<Open>();
  const [message, setMessage] = useState<string>();
  const close = (m?: string) => {
    setOpen(undefined);
    if (m) {
      setMessage(m);
      onDone();
    }
  };
  const suspended = Boolean(app.state?.suspended);
  return (
    <div class="actions">
      <button
        type="button"
        class="primary"
        disabled={Boolean(app.disabled)}
        onClick={() => setOpen('sync')}
      >
        Sync…
      </button>
      {suspended ? (
        <button type="button" onClick={() => setOpen('resume')}>
          Resume…
        </button>
      ) : (
        <button type="button" onClick={() => setOpen('suspend')}>
          Suspend…
        </button>
      )}
      <a class="button" href={href({ page: 'history', name: app.name })}>
        Rollback (pick a revision)…
      </a>
      {message ? (
        <p role="status" class="notice">
          {message}
        </p>
      ) : null}
      {open === 'sync' ? <SyncDialog app={app} onClose={close} /> : null}
      {open === 'suspend' ? <SuspendDialog app={app} onClose={close} /> : null}
      {open === 'resume' ? <ResumeDialog app={app} onClose={close} /> : null}
    </div>
  );
}
