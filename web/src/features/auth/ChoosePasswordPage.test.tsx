import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useState } from 'react';
import { MemoryRouter, Route, Routes, useLocation } from 'react-router';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../../api/errors';
import type { ChangePasswordInput } from '../../api/types';
import { fakeAuth } from '../../test/renderWithProviders';
import { AuthContext, type AuthContextValue } from './authContext';
import { ChoosePasswordPage } from './ChoosePasswordPage';
import { CHOOSE_PASSWORD_PATH } from './paths';
import { RequireAuth } from './RequireAuth';

function Where() {
  return <p data-testid="where">{useLocation().pathname}</p>;
}

/**
 * The app's routes around a signed-in member whose password an admin reset; changePassword
 * answers like the API (the must-change mark goes) unless told to fail.
 */
function App({ send }: { send: (input: ChangePasswordInput) => Promise<void> }) {
  const [mustChange, setMustChange] = useState(true);
  const auth: AuthContextValue = {
    ...fakeAuth('analyst', { must_change_password: mustChange }),
    changePassword: async (input) => {
      await send(input);
      setMustChange(false);
    },
  };
  return (
    <AuthContext.Provider value={auth}>
      <Routes>
        <Route path={CHOOSE_PASSWORD_PATH} element={<ChoosePasswordPage />} />
        <Route
          path="*"
          element={
            <RequireAuth>
              <p>the app</p>
              <Where />
            </RequireAuth>
          }
        />
      </Routes>
    </AuthContext.Provider>
  );
}

function renderApp(send: (input: ChangePasswordInput) => Promise<void>, path = '/datasets/ds_1') {
  const queryClient = new QueryClient();
  return render(
    <QueryClientProvider client={queryClient}>
      <MemoryRouter initialEntries={[path]}>
        <App send={send} />
      </MemoryRouter>
    </QueryClientProvider>,
  );
}

/** Type what is not empty (fields keep what was typed before), then submit. */
async function fill(current: string, next: string, confirm: string) {
  const fields: [string, string][] = [
    ['Current password', current],
    ['New password', next],
    ['Confirm new password', confirm],
  ];
  for (const [label, text] of fields)
    if (text !== '') await userEvent.type(screen.getByLabelText(label), text);
  await userEvent.click(screen.getByRole('button', { name: 'Save and continue' }));
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('a password an admin reset', () => {
  it('must be changed before anything else of the app shows', async () => {
    const send = vi.fn(() => Promise.resolve());
    renderApp(send);
    expect(
      await screen.findByRole('heading', { name: 'Choose a new password', level: 1 }),
    ).toBeInTheDocument();
    expect(screen.queryByText('the app')).not.toBeInTheDocument();
    expect(screen.getByRole('form', { name: 'Choose a new password' })).toBeInTheDocument();
    expect(screen.getByLabelText('Current password')).toHaveAccessibleDescription(
      'The temporary password you were given',
    );
    expect(screen.getByRole('button', { name: 'Log out' })).toBeInTheDocument();
  });

  it('checks the new password and its confirmation before sending', async () => {
    const send = vi.fn(() => Promise.resolve());
    renderApp(send);
    await fill('temporary-pw-1', 'short', 'short');
    expect(send).not.toHaveBeenCalled();
    expect(screen.getByLabelText('New password')).toHaveAccessibleDescription(
      'Use at least 10 characters',
    );
    await userEvent.clear(screen.getByLabelText('New password'));
    await userEvent.clear(screen.getByLabelText('Confirm new password'));
    await fill('', 'my-own-password', 'my-own-passw0rd');
    expect(send).not.toHaveBeenCalled();
    expect(screen.getByLabelText('Confirm new password')).toHaveAccessibleDescription(
      'The two new passwords differ',
    );
    expect(screen.getByLabelText('Confirm new password')).toHaveAttribute('aria-invalid', 'true');
  });

  it('shows the server refusing the current password next to it', async () => {
    const send = vi.fn(() =>
      Promise.reject(
        new ApiError({
          status: 400,
          title: 'The request is invalid',
          detail: '1 field is invalid',
          requestId: 'req_pw',
          fieldErrors: [{ field: 'current_password', message: 'is not your current password' }],
        }),
      ),
    );
    renderApp(send);
    await fill('not-the-temporary', 'my-own-password', 'my-own-password');
    expect(await screen.findByLabelText('Current password')).toHaveAccessibleDescription(
      'is not your current password',
    );
    expect(screen.getByRole('alert')).toHaveTextContent('req_pw');
    expect(screen.queryByText('the app')).not.toBeInTheDocument();
  });

  it('goes on to the page asked for once the new password is saved', async () => {
    const send = vi.fn(() => Promise.resolve());
    renderApp(send);
    await fill('temporary-pw-1', 'my-own-password', 'my-own-password');
    expect(send).toHaveBeenCalledWith({
      current_password: 'temporary-pw-1',
      new_password: 'my-own-password',
    });
    expect(await screen.findByText('the app')).toBeInTheDocument();
    expect(screen.getByTestId('where')).toHaveTextContent('/datasets/ds_1');
  });
});
