import { useState, type SubmitEvent } from 'react';
import type { LoginInput } from '../../api/types';
import { TextField } from '../../components/Field';
import { useFormSubmission } from '../../lib/useFormSubmission';
import { AuthProblemAlert } from './AuthProblemAlert';
import { compact, validateEmail } from './validation';

type LoginFormProps = {
  onSubmit: (input: LoginInput) => Promise<void>;
};

export function LoginForm({ onSubmit }: LoginFormProps) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const { fieldErrors, error, busy, run } = useFormSubmission();

  const submit = async (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    const local = compact({
      email: validateEmail(email),
      password: password === '' ? 'Enter your password' : undefined,
    });
    await run(local, () => onSubmit({ email: email.trim(), password }));
  };

  return (
    <form className="form" onSubmit={submit} noValidate aria-label="Log in">
      {error ? <AuthProblemAlert error={error} /> : null}
      <TextField
        label="E-mail"
        type="email"
        name="email"
        autoComplete="username"
        value={email}
        onChange={(e) => setEmail(e.target.value)}
        error={fieldErrors.email}
        required
      />
      <TextField
        label="Password"
        type="password"
        name="password"
        autoComplete="current-password"
        value={password}
        onChange={(e) => setPassword(e.target.value)}
        error={fieldErrors.password}
        required
      />
      <button type="submit" className="button button--block" disabled={busy}>
        {busy ? 'Logging in…' : 'Log in'}
      </button>
    </form>
  );
}
