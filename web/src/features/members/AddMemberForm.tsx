import { useId, useState, type SubmitEvent } from 'react';
import type { Role } from '../../api/types';
import { SelectField, TextField } from '../../components/Field';
import { ProblemAlert } from '../../components/ProblemAlert';
import { ROLE_DESCRIPTIONS } from '../auth/roles';
import { useFormSubmission } from '../../lib/useFormSubmission';
import { compact, validateEmail, validateNewPassword } from '../auth/validation';
import { useAddMember } from './useMembers';

type AddMemberFormProps = { roles: Role[] };

/** Add a member with a first password they change later (the API has no invitations). */
export function AddMemberForm({ roles }: AddMemberFormProps) {
  const add = useAddMember();
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>(
    roles.includes('viewer') ? 'viewer' : (roles[0] ?? 'viewer'),
  );
  const [password, setPassword] = useState('');
  const [mustChange, setMustChange] = useState(true);
  const mustChangeId = useId();
  const { fieldErrors, error, busy, run } = useFormSubmission();
  const [added, setAdded] = useState<{ email: string; mustChange: boolean } | null>(null);

  const submit = async (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    const local = compact({ email: validateEmail(email), password: validateNewPassword(password) });
    setAdded(null);
    await run(local, async () => {
      const member = await add.mutateAsync({
        email: email.trim(),
        role,
        password,
        must_change_password: mustChange,
        ...(name.trim() ? { name: name.trim() } : {}),
      });
      setAdded({ email: member.email, mustChange });
      setEmail('');
      setName('');
      setPassword('');
    });
  };

  return (
    <form className="form form--inline" onSubmit={submit} noValidate aria-label="Add a member">
      {error ? <ProblemAlert error={error} /> : null}
      {added ? (
        <div className="alert alert--success" role="status">
          <div className="alert__body">
            <p className="alert__title">{added.email} was added</p>
            <p className="alert__detail">
              {added.mustChange
                ? 'Share the first password with them privately; they choose their own when they first log in.'
                : 'Share the first password with them privately; they can log in now.'}
            </p>
          </div>
        </div>
      ) : null}
      <div className="form__grid">
        <TextField
          label="E-mail"
          type="email"
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          error={fieldErrors.email}
          autoComplete="off"
        />
        <TextField
          label="Name"
          value={name}
          onChange={(e) => setName(e.target.value)}
          error={fieldErrors.name}
          hint="Optional"
          autoComplete="off"
        />
        <SelectField
          label="Role"
          value={role}
          onChange={(e) => setRole(e.target.value as Role)}
          error={fieldErrors.role}
          hint={ROLE_DESCRIPTIONS[role]}
        >
          {roles.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </SelectField>
        <TextField
          label="First password"
          type="password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          error={fieldErrors.password}
          hint="At least 10 characters"
          autoComplete="new-password"
        />
      </div>
      <div className="checkbox">
        <input
          id={mustChangeId}
          type="checkbox"
          checked={mustChange}
          onChange={(e) => setMustChange(e.target.checked)}
        />
        <label htmlFor={mustChangeId}>Ask to change the password at first login</label>
      </div>
      <div className="button-row">
        <button type="submit" className="button" disabled={busy}>
          {busy ? 'Adding…' : 'Add member'}
        </button>
      </div>
    </form>
  );
}
