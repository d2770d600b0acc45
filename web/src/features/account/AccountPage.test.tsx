import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { ApiError } from '../../api/errors';
import { fakeAuth, renderWithProviders } from '../../test/renderWithProviders';
import AccountPage from './AccountPage';

async function change(current: string, next: string, confirm = next) {
  const form = screen.getByRole('form', { name: 'Change password' });
  await userEvent.type(within(form).getByLabelText('Current password'), current);
  await userEvent.type(within(form).getByLabelText('New password'), next);
  await userEvent.type(within(form).getByLabelText('Confirm new password'), confirm);
  await userEvent.click(within(form).getByRole('button', { name: 'Change password' }));
}

describe('AccountPage', () => {
  it('shows who is signed in', () => {
    renderWithProviders(<AccountPage />, { role: 'analyst' });
    const profile = screen.getByTestId('account-profile');
    expect(profile).toHaveTextContent('me@example.com');
    expect(profile).toHaveTextContent('Test Org');
    expect(profile).toHaveTextContent('analyst');
  });

  it('changes the password and says the other sessions were signed out', async () => {
    const auth = fakeAuth('viewer');
    renderWithProviders(<AccountPage />, { auth });
    await change('old-password-1', 'new-password-22');
    expect(auth.changePassword).toHaveBeenCalledWith({
      current_password: 'old-password-1',
      new_password: 'new-password-22',
    });
    const status = await screen.findByRole('status');
    expect(status).toHaveTextContent('Your password was changed');
    expect(status).toHaveTextContent('Your other sessions were signed out');
    // The fields are emptied for the next time.
    expect(screen.getByLabelText('Current password')).toHaveValue('');
    expect(screen.getByLabelText('New password')).toHaveValue('');
  });

  it('refuses a confirmation that differs, and a new password equal to the current one', async () => {
    const auth = fakeAuth('viewer');
    renderWithProviders(<AccountPage />, { auth });
    await change('old-password-1', 'new-password-22', 'new-password-23');
    expect(auth.changePassword).not.toHaveBeenCalled();
    expect(screen.getByLabelText('Confirm new password')).toHaveAccessibleDescription(
      'The two new passwords differ',
    );
    await userEvent.clear(screen.getByLabelText('New password'));
    await userEvent.clear(screen.getByLabelText('Confirm new password'));
    await userEvent.type(screen.getByLabelText('New password'), 'old-password-1');
    await userEvent.type(screen.getByLabelText('Confirm new password'), 'old-password-1');
    await userEvent.click(screen.getByRole('button', { name: 'Change password' }));
    expect(auth.changePassword).not.toHaveBeenCalled();
    expect(screen.getByLabelText('New password')).toHaveAccessibleDescription(
      'Choose a password other than the current one',
    );
  });

  it('puts a wrong current password next to its field, with no success message', async () => {
    const auth = fakeAuth('viewer');
    auth.changePassword = vi.fn(() =>
      Promise.reject(
        new ApiError({
          status: 400,
          title: 'The request is invalid',
          detail: '1 field is invalid',
          fieldErrors: [{ field: 'current_password', message: 'is not your current password' }],
        }),
      ),
    );
    renderWithProviders(<AccountPage />, { auth });
    await change('wrong-password', 'new-password-22');
    expect(await screen.findByLabelText('Current password')).toHaveAccessibleDescription(
      'is not your current password',
    );
    expect(screen.getByLabelText('New password')).not.toHaveAttribute('aria-invalid');
    expect(screen.queryByRole('status')).not.toBeInTheDocument();
  });

  it('says how long to wait after too many wrong current passwords', async () => {
    const auth = fakeAuth('viewer');
    auth.changePassword = vi.fn(() =>
      Promise.reject(
        new ApiError({
          status: 429,
          title: 'Too many requests',
          detail: 'too many failed logins; retry in 8 s',
          type: 'https://insightstream.dev/problems/login-throttled',
          retryAfter: 8,
        }),
      ),
    );
    renderWithProviders(<AccountPage />, { auth });
    await change('wrong-password', 'new-password-22');
    expect(await screen.findByRole('alert')).toHaveTextContent(
      'Too many failed attempts — try again in 8 s',
    );
  });
});
