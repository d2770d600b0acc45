import { useState, type SubmitEvent } from 'react';
import type { SignupInput } from '../../api/types';
import { TextField } from '../../components/Field';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useFormSubmission } from '../../lib/useFormSubmission';
import { compact, validateEmail, validateNewPassword } from './validation';

type SignupFormProps = {
  onSubmit: (input: SignupInput) => Promise<void>;
};

export function SignupForm({ onSubmit }: SignupFormProps) {
  const [organization, setOrganization] = useState('');
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const { fieldErrors, error, busy, run } = useFormSubmission();

  const submit = async (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    const local = compact({
      organization: organization.trim() === '' ? 'Name your organization' : undefined,
      email: validateEmail(email),
      password: validateNewPassword(password),
    });
    const input: SignupInput = { organization: organization.trim(), email: email.trim(), password };
    if (name.trim() !== '') input.name = name.trim();
    await run(local, () => onSubmit(input));
  };

  return (
    <form className="form" onSubmit={submit} noValidate aria-label="Sign up">
      {error ? <ProblemAlert error={error} /> : null}
      <TextField
        label="Organization"
        name="organization"
        autoComplete="organization"
        value={organization}
        onChange={(e) => setOrganization(e.target.value)}
        error={fieldErrors.organization}
        required
      />
      <TextField
        label="Your name"
        name="name"
        autoComplete="name"
        value={name}
        onChange={(e) => setName(e.target.value)}
        error={fieldErrors.name}
        hint="Optional"
      />
      <TextField
        label="E-mail"
        type="email"
        name="email"
        autoComplete="email"
        value={email}
        onChange={(e) => setEmail(e.target.value)}
        error={fieldErrors.email}
        required
      />
      <TextField
        label="Password"
        type="password"
        name="password"
        autoComplete="new-password"
        value={password}
        onChange={(e) => setPassword(e.target.value)}
        error={fieldErrors.password}
        hint="At least 10 characters"
        required
        minLength={10}
      />
      <button type="submit" className="button button--block" disabled={busy}>
        {busy ? 'Creating your workspace…' : 'Create account'}
      </button>
    </form>
  );
}
