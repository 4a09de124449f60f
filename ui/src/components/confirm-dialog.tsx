import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ErrorNote } from './error-note.tsx';

export interface ConfirmProps {
  title: string;
  /** What will happen, in words, before anything is sent. */
  children: ComponentChildren;
  confirmLabel: string;
  /** False while the dialog cannot be confirmed yet (a preview still loading). */
  ready?: boolean;
  /** Sends the action; resolves with the API's message, rejects with its error. */
  onConfirm: () => Promise<string>;
  onClose: (message?: string) => void;
}

/**
 * A modal confirmation (the platform's <dialog>: focus moves into it, Escape
 * closes it, the page behind is inert). It closes with the API's answer, or
 * stays open showing the API's error.
 */
export function ConfirmDialog(props: ConfirmProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  useEffect(() => {
    ref.current?.showModal();
  }, []);
  const confirm = async () => {
    setBusy(true);
    setError(undefined);
    try {
      props.onClose(await props.onConfirm());
    } catch (err) {
      setError((err as Error).message);
      setBusy(false);
    }
  };
  return (
    <dialog ref={ref} aria-labelledby="dialog-title" onClose={() => props.onClose()}>
      <h2 id="dialog-title">{props.title}</h2>
      <div class="dialog-body">{props.children}</div>
      <ErrorNote error={error} />
      <div class="dialog-buttons">
        <button type="button" onClick={() => props.onClose()}>
          Cancel
        </button>
        <button
          type="button"
          class="primary"
          disabled={busy || props.ready === false}
          onClick={() => void confirm()}
        >
          {busy ? 'Sending…' : props.confirmLabel}
        </button>
      </div>
    </dialog>
  );
}
