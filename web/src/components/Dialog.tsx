import { useEffect, useId, useRef, type ReactNode } from 'react';
import { ProblemAlert } from './ProblemAlert';

type DialogProps = {
  open: boolean;
  title: string;
  onClose: () => void;
  children: ReactNode;
  /** Buttons at the bottom. */
  footer?: ReactNode;
  testId?: string;
  /** Room for a table of settings. */
  wide?: boolean;
};

/**
 * A modal dialog on the native <dialog>: showModal() makes the rest of the page inert (focus
 * stays inside), Escape closes it, and focus returns to where it was.
 */
export function Dialog({
  open,
  title,
  onClose,
  children,
  footer,
  testId,
  wide = false,
}: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) {
      const previous =
        document.activeElement instanceof HTMLElement ? document.activeElement : null;
      if (typeof dialog.showModal === 'function') dialog.showModal();
      else dialog.setAttribute('open', '');
      const first = dialog.querySelector<HTMLElement>(
        '[data-autofocus], input:not([disabled]), select:not([disabled]), textarea:not([disabled]), button:not([disabled])',
      );
      first?.focus();
      return () => {
        if (dialog.open) {
          if (typeof dialog.close === 'function') dialog.close();
          else dialog.removeAttribute('open');
        }
        previous?.focus();
      };
    }
    return undefined;
  }, [open]);

  return (
    <dialog
      ref={ref}
      className={wide ? 'dialog dialog--wide' : 'dialog'}
      aria-labelledby={titleId}
      data-testid={testId}
      onCancel={(event) => {
        event.preventDefault();
        onClose();
      }}
      onKeyDown={(event) => {
        if (event.key === 'Escape') {
          event.preventDefault();
          onClose();
        }
      }}
    >
      {open ? (
        <div className="dialog__inner">
          <h2 className="dialog__title" id={titleId}>
            {title}
          </h2>
          <div className="dialog__body">{children}</div>
          {footer ? <div className="dialog__footer">{footer}</div> : null}
        </div>
      ) : null}
    </dialog>
  );
}

type ConfirmDialogProps = {
  open: boolean;
  title: string;
  children: ReactNode;
  confirmLabel: string;
  onConfirm: () => void;
  onCancel: () => void;
  busy?: boolean;
  danger?: boolean;
  error?: ReactNode;
};

export function ConfirmDialog({
  open,
  title,
  children,
  confirmLabel,
  onConfirm,
  onCancel,
  busy = false,
  danger = true,
  error,
}: ConfirmDialogProps) {
  return (
    <Dialog
      open={open}
      title={title}
      onClose={onCancel}
      testId="confirm-dialog"
      footer={
        <>
          <button
            type="button"
            className="button button--secondary"
            onClick={onCancel}
            data-autofocus
          >
            Cancel
          </button>
          <button
            type="button"
            className={danger ? 'button button--danger' : 'button'}
            onClick={onConfirm}
            disabled={busy}
          >
            {busy ? 'Working…' : confirmLabel}
          </button>
        </>
      }
    >
      {children}
      {error}
    </Dialog>
  );
}

/** What ConfirmMutationDialog needs of a TanStack mutation keyed by an id. */
type IdMutation = {
  isPending: boolean;
  error: unknown;
  reset: () => void;
  mutate: (id: string, options: { onSuccess: () => void }) => void;
};

type ConfirmMutationDialogProps<T extends { id: string }> = {
  /** The item to act on; the dialog is open while there is one. */
  target: T | null;
  mutation: IdMutation;
  title: string;
  confirmLabel: string;
  children: ReactNode;
  onClose: () => void;
  onDone?: (() => void) | undefined;
};

/**
 * Confirms a destructive action on one item (delete a dataset, remove a member, revoke a key):
 * runs the mutation with its id, closes on success, and shows the problem otherwise.
 */
export function ConfirmMutationDialog<T extends { id: string }>({
  target,
  mutation,
  title,
  confirmLabel,
  children,
  onClose,
  onDone,
}: ConfirmMutationDialogProps<T>) {
  return (
    <ConfirmDialog
      open={target !== null}
      title={title}
      confirmLabel={confirmLabel}
      busy={mutation.isPending}
      onCancel={() => {
        mutation.reset();
        onClose();
      }}
      onConfirm={() => {
        if (!target) return;
        mutation.mutate(target.id, {
          onSuccess: () => {
            onClose();
            onDone?.();
          },
        });
      }}
      error={mutation.error ? <ProblemAlert error={mutation.error} /> : null}
    >
      {children}
    </ConfirmDialog>
  );
}
