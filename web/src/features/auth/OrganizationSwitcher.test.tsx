import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Route, Routes, useLocation } from 'react-router';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../../api/errors';
import { AppShell } from '../../components/AppShell';
import { fakeAuth, ORG, renderWithProviders, stubFetch } from '../../test/renderWithProviders';

function Where() {
  return <p data-testid="where">{useLocation().pathname}</p>;
}

function shell() {
  return (
    <Routes>
      <Route element={<AppShell />}>
        <Route path="*" element={<Where />} />
      </Route>
    </Routes>
  );
}

const me = (organizations: { id: string; name: string; role: string }[]) => ({
  '/api/v1/me': {
    body: {
      user: { id: 'usr_1', email: 'me@example.com', name: 'Me', role: 'owner' },
      organization: ORG,
      organizations,
    },
  },
});

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('the organization switcher', () => {
  it('is not there for a sign-in with one organization', async () => {
    const fetchMock = stubFetch(me([{ ...ORG, role: 'owner' }]));
    renderWithProviders(shell(), { path: '/datasets/ds_1' });
    await waitFor(() => expect(fetchMock).toHaveBeenCalled());
    expect(screen.getByTestId('org-name')).toHaveTextContent('Test Org');
    expect(screen.queryByRole('button', { name: /^Organization:/ })).not.toBeInTheDocument();
  });

  it('lists the other organizations with the role in each, and switches to one', async () => {
    stubFetch(
      me([
        { ...ORG, role: 'owner' },
        { id: 'org_beta', name: 'Beta Corp', role: 'viewer' },
        { id: 'org_gamma', name: 'Gamma Labs', role: 'analyst' },
      ]),
    );
    const auth = fakeAuth('owner');
    renderWithProviders(shell(), { path: '/datasets/ds_1', auth });
    const toggle = await screen.findByRole('button', { name: 'Organization: Test Org' });
    expect(screen.getByTestId('org-name')).toHaveTextContent('Test Org');
    expect(toggle).toHaveAttribute('aria-expanded', 'false');
    expect(screen.queryByRole('button', { name: /Beta Corp/ })).not.toBeInTheDocument();

    await userEvent.click(toggle);
    expect(toggle).toHaveAttribute('aria-expanded', 'true');
    const list = screen.getByRole('list', { name: 'Switch to' });
    expect(list).toBeVisible();
    expect(screen.getByRole('button', { name: 'Beta Corp as viewer' })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Gamma Labs as analyst' })).toBeInTheDocument();
    // The current one is not offered.
    expect(screen.queryByRole('button', { name: /Test Org as/ })).not.toBeInTheDocument();

    await userEvent.click(screen.getByRole('button', { name: 'Beta Corp as viewer' }));
    expect(auth.switchOrganization).toHaveBeenCalledWith('org_beta');
    // The dataset on screen belonged to the old organization: its datasets open instead.
    await waitFor(() => expect(screen.getByTestId('where')).toHaveTextContent('/datasets'));
    expect(screen.getByTestId('where')).not.toHaveTextContent('ds_1');
    expect(toggle).toHaveFocus();
  });

  it('closes on Escape and gives focus back to its button', async () => {
    stubFetch(
      me([
        { ...ORG, role: 'owner' },
        { id: 'org_beta', name: 'Beta Corp', role: 'viewer' },
      ]),
    );
    renderWithProviders(shell(), { path: '/datasets' });
    const toggle = await screen.findByRole('button', { name: 'Organization: Test Org' });
    await userEvent.click(toggle);
    await userEvent.tab();
    expect(screen.getByRole('button', { name: 'Beta Corp as viewer' })).toHaveFocus();
    await userEvent.keyboard('{Escape}');
    expect(toggle).toHaveAttribute('aria-expanded', 'false');
    expect(toggle).toHaveFocus();
  });

  it('shows why a switch failed and stays where it was', async () => {
    stubFetch(
      me([
        { ...ORG, role: 'owner' },
        { id: 'org_beta', name: 'Beta Corp', role: 'viewer' },
      ]),
    );
    const auth = fakeAuth('owner');
    auth.switchOrganization = vi.fn(() =>
      Promise.reject(
        new ApiError({
          status: 404,
          title: 'Not found',
          detail: 'no organization with this id opens with your password',
          requestId: 'req_sw',
        }),
      ),
    );
    renderWithProviders(shell(), { path: '/members', auth });
    await userEvent.click(await screen.findByRole('button', { name: 'Organization: Test Org' }));
    await userEvent.click(screen.getByRole('button', { name: 'Beta Corp as viewer' }));
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('Could not switch the organization');
    expect(alert).toHaveTextContent('no organization with this id opens with your password');
    expect(alert).toHaveTextContent('req_sw');
    expect(screen.getByTestId('where')).toHaveTextContent('/members');
  });

  it('links to the account page from the shell', async () => {
    stubFetch(me([{ ...ORG, role: 'owner' }]));
    renderWithProviders(shell(), { path: '/datasets' });
    await userEvent.click(screen.getByRole('link', { name: 'Account' }));
    expect(screen.getByTestId('where')).toHaveTextContent('/account');
  });
});
