import { useState, type ReactNode, type SubmitEvent } from 'react';
import type { ChangePasswordInput } from '../../api/types';
import { TextField } from '../../components/Field';
import { useFormSubmission } from '../../lib/useFormSubmission';
import { AuthProblemAlert } from './AuthProblemAlert';
import { compact, validateNewPassword } from './validation';

type ChangePasswordFormProps = {
  onSubmit: (input: ChangePasswordInput) => Promise<void>;
  /** The form's accessible name. */
  label: string;
  submitLabel: string;
  /** Under "Current password", e.g. that it is the temporary one an admin gave. */
  currentHint?: ReactNode;
  /** After the server accepted the new password. */
  onDone?: () => void;
  /** A full-width button, as on the login card. */
  block?: boolean;
};

/**
 * Current, new and repeated password. Field names are the API's (current_password,
 * new_password), so its field errors land next to the right input.
 */
export function ChangePasswordForm({
  onSubmit,
  label,
  submitLabel,
  currentHint,
  onDone,
  block = false,
}: ChangePasswordFormProps) {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [confirm, setConfirm] = useState('');
  const { fieldErrors, error, busy, run } = useFormSubmission();

  const submit = async (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    const local = compact({
      current_password: current === '' ? 'Enter your current password' : undefined,
      new_password:
        validateNewPassword(next) ??
        (next === current ? 'Choose a password other than the current one' : undefined),
      confirm_password: confirm !== next ? 'The two new passwords differ' : undefined,
    });
    await run(local, async () => {
      await onSubmit({ current_password: current, new_password: next });
      setCurrent('');
      setNext('');
      setConfirm('');
      onDone?.();
    });
  };

  return (
    <form className="form" onSubmit={submit} noValidate aria-label={label}>
      {error ? <AuthProblemAlert error={error} /> : null}
      <TextField
        label="Current password"
        type="password"
        name="current_password"
        autoComplete="current-password"
        value={current}
        onChange={(e) => setCurrent(e.target.value)}
        error={fieldErrors.current_password}
        hint={currentHint}
        required
      />
      <TextField
        label="New password"
        type="password"
        name="new_password"
        autoComplete="new-password"
        value={next}
        onChange={(e) => setNext(e.target.value)}
        error={fieldErrors.new_password}
        hint="At least 10 characters"
        required
        minLength={10}
      />
      <TextField
        label="Confirm new password"
        type="password"
        name="confirm_password"
        autoComplete="new-password"
        value={confirm}
        onChange={(e) => setConfirm(e.target.value)}
        error={fieldErrors.confirm_password}
        required
      />
      <div className="button-row">
        <button type="submit" className={block ? 'button button--block' : 'button'} disabled={busy}>
          {busy ? 'Saving…' : submitLabel}
        </button>
      </div>
    </form>
  );
}
