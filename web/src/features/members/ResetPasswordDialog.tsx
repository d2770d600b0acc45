import { useId, useState, type SubmitEvent } from 'react';
import type { Member } from '../../api/types';
import { Dialog } from '../../components/Dialog';
import { TextField } from '../../components/Field';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useFormSubmission } from '../../lib/useFormSubmission';
import { compact, validateNewPassword } from '../auth/validation';
import { useResetPassword } from './useMembers';

type ResetPasswordDialogProps = {
  /** The member whose password to reset; the dialog is open while there is one. */
  member: Member | null;
  onClose: () => void;
  /** After the reset, with the member it was for. */
  onDone: (member: Member) => void;
};

/**
 * Set a temporary password for a member. Their sessions end at once, and at their next login
 * they must choose their own before they can do anything else.
 */
export function ResetPasswordDialog({ member, onClose, onDone }: ResetPasswordDialogProps) {
  const reset = useResetPassword();
  const [password, setPassword] = useState('');
  const { fieldErrors, error, busy, run } = useFormSubmission();
  const formId = useId();

  const close = () => {
    setPassword('');
    onClose();
  };

  const submit = async (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (!member) return;
    await run(compact({ password: validateNewPassword(password) }), async () => {
      await reset.mutateAsync({ id: member.id, password });
      setPassword('');
      onDone(member);
    });
  };

  return (
    <Dialog
      open={member !== null}
      title="Reset password"
      onClose={close}
      testId="reset-password-dialog"
      footer={
        <>
          <button type="button" className="button button--secondary" onClick={close}>
            Cancel
          </button>
          <button type="submit" form={formId} className="button" disabled={busy}>
            {busy ? 'Resetting…' : 'Reset password'}
          </button>
        </>
      }
    >
      <form
        id={formId}
        className="form"
        onSubmit={submit}
        noValidate
        aria-label={`Reset the password of ${member?.email ?? ''}`}
      >
        <p>
          Set a temporary password for <strong>{member?.email}</strong>. Their sessions end now, and
          at their next login they must choose a new password before anything else.
        </p>
        {error ? <ProblemAlert error={error} /> : null}
        <TextField
          label="Temporary password"
          type="password"
          name="password"
          autoComplete="new-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          error={fieldErrors.password}
          hint="At least 10 characters. Share it with them privately."
          required
          minLength={10}
        />
      </form>
    </Dialog>
  );
}
