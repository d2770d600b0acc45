import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { ApiError, parseProblem } from '../../api/errors';
import { LoginForm } from './LoginForm';
import { SignupForm } from './SignupForm';

describe('LoginForm', () => {
  it('checks the fields before sending anything', async () => {
    const onSubmit = vi.fn(() => Promise.resolve());
    render(<LoginForm onSubmit={onSubmit} />);
    await userEvent.type(screen.getByLabelText('E-mail'), 'not-an-address');
    await userEvent.click(screen.getByRole('button', { name: 'Log in' }));
    expect(onSubmit).not.toHaveBeenCalled();
    const email = screen.getByLabelText('E-mail');
    expect(email).toHaveAttribute('aria-invalid', 'true');
    expect(email).toHaveAccessibleDescription(/valid e-mail address/);
    expect(screen.getByLabelText('Password')).toHaveAccessibleDescription('Enter your password');
  });

  it('shows the problem title, detail and request id when the server refuses', async () => {
    const onSubmit = vi.fn(() =>
      Promise.reject(
        new ApiError({
          status: 401,
          title: 'Authentication required',
          detail: 'the e-mail address or password is wrong',
          requestId: 'req_123',
        }),
      ),
    );
    render(<LoginForm onSubmit={onSubmit} />);
    await userEvent.type(screen.getByLabelText('E-mail'), 'ann@example.com');
    await userEvent.type(screen.getByLabelText('Password'), 'wrong-password');
    await userEvent.click(screen.getByRole('button', { name: 'Log in' }));
    expect(onSubmit).toHaveBeenCalledWith({ email: 'ann@example.com', password: 'wrong-password' });
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('Authentication required');
    expect(alert).toHaveTextContent('the e-mail address or password is wrong');
    expect(alert).toHaveTextContent('req_123');
  });

  it('says how long to wait when logins are throttled (Retry-After)', async () => {
    const throttled = () =>
      parseProblem(
        new Response(
          JSON.stringify({
            type: 'https://insightstream.dev/problems/login-throttled',
            title: 'Too many requests',
            status: 429,
            detail: 'too many failed logins; retry in 4 s',
            request_id: 'req_429',
          }),
          {
            status: 429,
            headers: { 'Content-Type': 'application/problem+json', 'Retry-After': '4' },
          },
        ),
      );
    const onSubmit = vi.fn(async () => {
      throw await throttled();
    });
    render(<LoginForm onSubmit={onSubmit} />);
    await userEvent.type(screen.getByLabelText('E-mail'), 'ann@example.com');
    await userEvent.type(screen.getByLabelText('Password'), 'guess-number-4');
    await userEvent.click(screen.getByRole('button', { name: 'Log in' }));
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('Too many failed attempts — try again in 4 s');
    expect(alert).toHaveTextContent('req_429');
    expect(alert).not.toHaveTextContent('Too many requests');
  });

  it('shows a problem without field errors (invalid-text) as it is', async () => {
    const onSubmit = vi.fn(() =>
      Promise.reject(
        new ApiError({
          status: 400,
          title: 'The request is invalid',
          detail: 'the text at /email holds a control character',
          type: 'https://insightstream.dev/problems/invalid-text',
        }),
      ),
    );
    render(<LoginForm onSubmit={onSubmit} />);
    await userEvent.type(screen.getByLabelText('E-mail'), 'ann@example.com');
    await userEvent.type(screen.getByLabelText('Password'), 'whatever-it-is');
    await userEvent.click(screen.getByRole('button', { name: 'Log in' }));
    expect(await screen.findByRole('alert')).toHaveTextContent(
      'the text at /email holds a control character',
    );
    expect(screen.getByLabelText('E-mail')).not.toHaveAttribute('aria-invalid');
  });

  it('puts the server field errors next to their fields', async () => {
    const onSubmit = vi.fn(() =>
      Promise.reject(
        new ApiError({
          status: 400,
          title: 'The request is invalid',
          detail: '1 field is invalid',
          fieldErrors: [{ field: 'email', message: 'is not a valid e-mail address' }],
        }),
      ),
    );
    render(<LoginForm onSubmit={onSubmit} />);
    await userEvent.type(screen.getByLabelText('E-mail'), 'ann@example.com');
    await userEvent.type(screen.getByLabelText('Password'), 'whatever-it-is');
    await userEvent.click(screen.getByRole('button', { name: 'Log in' }));
    expect(await screen.findByLabelText('E-mail')).toHaveAccessibleDescription(
      'is not a valid e-mail address',
    );
    expect(screen.getByLabelText('Password')).not.toHaveAttribute('aria-invalid');
  });
});

describe('SignupForm', () => {
  it('asks for a 10-character password and sends a trimmed form', async () => {
    const onSubmit = vi.fn(() => Promise.resolve());
    render(<SignupForm onSubmit={onSubmit} />);
    await userEvent.type(screen.getByLabelText('Organization'), '  Acme ');
    await userEvent.type(screen.getByLabelText('E-mail'), 'ann@acme.io');
    await userEvent.type(screen.getByLabelText('Password'), 'short');
    await userEvent.click(screen.getByRole('button', { name: 'Create account' }));
    expect(onSubmit).not.toHaveBeenCalled();
    expect(screen.getByLabelText('Password')).toHaveAccessibleDescription(
      'Use at least 10 characters',
    );
    await userEvent.type(screen.getByLabelText('Password'), '-but-longer');
    await userEvent.click(screen.getByRole('button', { name: 'Create account' }));
    expect(onSubmit).toHaveBeenCalledWith({
      organization: 'Acme',
      email: 'ann@acme.io',
      password: 'short-but-longer',
    });
  });
});
