import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Member } from '../../api/types';
import {
  jsonSentTo,
  renderWithProviders,
  requestTo,
  stubFetch,
} from '../../test/renderWithProviders';
import MembersPage from './MembersPage';

const member = (id: string, email: string, role: Member['role']): Member => ({
  id,
  email,
  name: '',
  role,
  created_at: '2026-01-01T00:00:00Z',
});

const MEMBERS = [
  member('usr_1', 'me@example.com', 'admin'),
  member('usr_2', 'olga@example.com', 'owner'),
  member('usr_3', 'ann@example.com', 'analyst'),
  member('usr_4', 'vic@example.com', 'viewer'),
];

const list = { body: { items: MEMBERS, next_cursor: null } };

function row(email: string): HTMLElement {
  const found = screen
    .getAllByTestId('member-row')
    .find((r) => r.getAttribute('data-email') === email);
  if (!found) throw new Error(`no row for ${email}`);
  return found;
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('MembersPage: reset a password', () => {
  it('is offered only for the members the caller may manage', async () => {
    stubFetch({ '/api/v1/users': list });
    renderWithProviders(<MembersPage />, { role: 'admin' });
    await screen.findAllByTestId('member-row');
    // An admin manages analysts and viewers; not owners, not themselves.
    expect(
      within(row('ann@example.com')).getByRole('button', {
        name: 'Reset password of ann@example.com',
      }),
    ).toBeInTheDocument();
    expect(
      within(row('vic@example.com')).getByRole('button', { name: /Reset password/ }),
    ).toBeInTheDocument();
    expect(
      within(row('olga@example.com')).queryByRole('button', { name: /Reset password/ }),
    ).not.toBeInTheDocument();
    expect(
      within(row('me@example.com')).queryByRole('button', { name: /Reset password/ }),
    ).not.toBeInTheDocument();
  });

  it('asks for a temporary password, explains the change at next login, and sends it', async () => {
    const fetchMock = stubFetch({
      '/api/v1/users': list,
      'POST /api/v1/users/usr_3/password': { status: 204 },
    });
    renderWithProviders(<MembersPage />, { role: 'admin' });
    await screen.findAllByTestId('member-row');
    await userEvent.click(
      screen.getByRole('button', { name: 'Reset password of ann@example.com' }),
    );

    const dialog = screen.getByTestId('reset-password-dialog');
    expect(within(dialog).getByRole('heading', { name: 'Reset password' })).toBeInTheDocument();
    expect(dialog).toHaveTextContent('ann@example.com');
    expect(dialog).toHaveTextContent('at their next login they must choose a new password');
    const field = within(dialog).getByLabelText('Temporary password');
    expect(field).toHaveFocus();

    // Too short: refused next to the field, nothing sent.
    await userEvent.type(field, 'short');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Reset password' }));
    expect(field).toHaveAccessibleDescription('Use at least 10 characters');
    expect(requestTo(fetchMock, '/password')).toBeUndefined();

    await userEvent.type(field, '-but-long-enough');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Reset password' }));
    const status = await screen.findByRole('status');
    expect(status).toHaveTextContent('The password of ann@example.com was reset');
    expect(status).toHaveTextContent('at their next login they must choose a new one');
    expect(jsonSentTo(fetchMock, '/users/usr_3/password')).toEqual({
      password: 'short-but-long-enough',
    });
    expect(requestTo(fetchMock, '/users/usr_3/password')?.method).toBe('POST');
    await waitFor(() => expect(screen.queryByLabelText('Temporary password')).toBeNull());
  });

  it('shows the problem in the dialog when the server refuses', async () => {
    stubFetch({
      '/api/v1/users': list,
      'POST /api/v1/users/usr_4/password': {
        status: 403,
        contentType: 'application/problem+json',
        body: {
          type: 'https://insightstream.dev/problems/forbidden',
          title: 'Not allowed',
          status: 403,
          detail: 'admins reset the passwords of analysts and viewers',
          request_id: 'req_rp',
        },
      },
    });
    renderWithProviders(<MembersPage />, { role: 'owner' });
    await screen.findAllByTestId('member-row');
    await userEvent.click(
      screen.getByRole('button', { name: 'Reset password of vic@example.com' }),
    );
    const dialog = screen.getByTestId('reset-password-dialog');
    await userEvent.type(within(dialog).getByLabelText('Temporary password'), 'temporary-pw-1');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Reset password' }));
    const alert = await within(dialog).findByRole('alert');
    expect(alert).toHaveTextContent('admins reset the passwords of analysts and viewers');
    expect(alert).toHaveTextContent('req_rp');
    expect(screen.queryByRole('status')).not.toBeInTheDocument();
  });
});

describe('MembersPage: add a member', () => {
  it('asks the new member to change the first password by default', async () => {
    const fetchMock = stubFetch({
      '/api/v1/users': list,
      'POST /api/v1/users': { status: 201, body: member('usr_9', 'new@example.com', 'viewer') },
    });
    renderWithProviders(<MembersPage />, { role: 'admin' });
    const form = screen.getByRole('form', { name: 'Add a member' });
    const box = within(form).getByRole('checkbox', {
      name: 'Ask to change the password at first login',
    });
    expect(box).toBeChecked();
    await userEvent.type(within(form).getByLabelText('E-mail'), 'new@example.com');
    await userEvent.type(within(form).getByLabelText('First password'), 'first-password-1');
    await userEvent.click(within(form).getByRole('button', { name: 'Add member' }));
    expect(await within(form).findByRole('status')).toHaveTextContent(
      'they choose their own when they first log in',
    );
    expect(jsonSentTo(fetchMock, '/api/v1/users', 'POST')).toEqual({
      email: 'new@example.com',
      role: 'viewer',
      password: 'first-password-1',
      must_change_password: true,
    });
  });

  it('sends must_change_password false when unticked', async () => {
    const fetchMock = stubFetch({
      '/api/v1/users': list,
      'POST /api/v1/users': { status: 201, body: member('usr_9', 'new@example.com', 'analyst') },
    });
    renderWithProviders(<MembersPage />, { role: 'admin' });
    const form = screen.getByRole('form', { name: 'Add a member' });
    await userEvent.click(within(form).getByRole('checkbox'));
    await userEvent.type(within(form).getByLabelText('E-mail'), 'new@example.com');
    await userEvent.selectOptions(within(form).getByLabelText('Role'), 'analyst');
    await userEvent.type(within(form).getByLabelText('First password'), 'first-password-1');
    await userEvent.click(within(form).getByRole('button', { name: 'Add member' }));
    expect(await within(form).findByRole('status')).toHaveTextContent('they can log in now');
    expect(jsonSentTo(fetchMock, '/api/v1/users', 'POST')).toMatchObject({
      role: 'analyst',
      must_change_password: false,
    });
  });

  it('shows an address that is already a member (409 already-a-member)', async () => {
    stubFetch({
      '/api/v1/users': list,
      'POST /api/v1/users': {
        status: 409,
        contentType: 'application/problem+json',
        body: {
          type: 'https://insightstream.dev/problems/already-a-member',
          title: 'Conflict',
          status: 409,
          detail: 'this address is already a member of your organization',
          request_id: 'req_409',
        },
      },
    });
    renderWithProviders(<MembersPage />, { role: 'admin' });
    const form = screen.getByRole('form', { name: 'Add a member' });
    await userEvent.type(within(form).getByLabelText('E-mail'), 'ann@example.com');
    await userEvent.type(within(form).getByLabelText('First password'), 'first-password-1');
    await userEvent.click(within(form).getByRole('button', { name: 'Add member' }));
    const alert = await within(form).findByRole('alert');
    expect(alert).toHaveTextContent('this address is already a member of your organization');
    expect(alert).toHaveTextContent('req_409');
  });
});
