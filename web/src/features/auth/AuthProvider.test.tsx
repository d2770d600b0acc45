import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { act, render, screen, waitFor } from '@testing-library/react';
import { useEffect } from 'react';
import { MemoryRouter } from 'react-router';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { requestJson, setSession } from '../../api/http';
import type { Me, OrganizationChoice, Session } from '../../api/types';
import { queryKeys } from '../../lib/queryKeys';
import { jsonSentTo, requestTo, stubFetch } from '../../test/renderWithProviders';
import type { AuthContextValue } from './authContext';
import { AuthProvider } from './AuthProvider';
import { useAuth } from './useAuth';

const ORGS: OrganizationChoice[] = [
  { id: 'org_a', name: 'Acme', role: 'owner' },
  { id: 'org_b', name: 'Beta Corp', role: 'viewer' },
];

function session(org: OrganizationChoice, organizations?: OrganizationChoice[]): Session {
  return {
    access_token: `at.${org.id}`,
    refresh_token: 'rt.x',
    token_type: 'Bearer',
    expires_in: 900,
    user: { id: `usr_${org.id}`, email: 'ann@example.com', name: 'Ann', role: org.role },
    organization: { id: org.id, name: org.name },
    ...(organizations ? { organizations } : {}),
  };
}

/** What the provider gives its consumers, as the last render saw it. */
const seen: { auth: AuthContextValue | null } = { auth: null };

function Probe() {
  const value = useAuth();
  useEffect(() => {
    seen.auth = value;
  });
  const { state } = value;
  if (state.status !== 'authenticated') return <p data-testid="probe">{state.status}</p>;
  return (
    <p data-testid="probe">
      {state.organization.name} / {state.user.role}
      {state.user.must_change_password ? ' / must change' : ''}
    </p>
  );
}

function renderProvider() {
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  render(
    <QueryClientProvider client={queryClient}>
      <MemoryRouter>
        <AuthProvider>
          <Probe />
        </AuthProvider>
      </MemoryRouter>
    </QueryClientProvider>,
  );
  return queryClient;
}

afterEach(() => {
  setSession(null);
  seen.auth = null;
  vi.unstubAllGlobals();
});

describe('AuthProvider', () => {
  it('switching organization drops the cached data of the old one', async () => {
    const [acme, beta] = ORGS as [OrganizationChoice, OrganizationChoice];
    const fetchMock = stubFetch({
      '/api/v1/auth/refresh': { body: session(acme, [acme]) },
      '/api/v1/auth/switch': { body: session(beta, ORGS) },
    });
    const queryClient = renderProvider();
    await waitFor(() => expect(screen.getByTestId('probe')).toHaveTextContent('Acme / owner'));
    queryClient.setQueryData(queryKeys.datasets('org_a'), {
      items: [{ id: 'ds_acme' }],
      next_cursor: null,
    });
    queryClient.setQueryData(queryKeys.members('org_a'), { items: [], next_cursor: null });

    await act(() => seen.auth!.switchOrganization('org_b'));

    expect(screen.getByTestId('probe')).toHaveTextContent('Beta Corp / viewer');
    expect(jsonSentTo(fetchMock, '/auth/switch')).toEqual({ organization: 'org_b' });
    const headers = requestTo(fetchMock, '/auth/switch')?.headers as Record<string, string>;
    expect(headers.Authorization).toBe('Bearer at.org_a');
    // Nothing of Acme is left to show under Beta Corp.
    expect(queryClient.getQueryData(queryKeys.datasets('org_a'))).toBeUndefined();
    expect(queryClient.getQueryData(queryKeys.members('org_a'))).toBeUndefined();
    expect(
      queryClient
        .getQueryCache()
        .getAll()
        .map((q) => q.queryKey[1]),
    ).toEqual(['org_b']);
    // The answer listed every organization: the switcher of the new one needs no request.
    expect(queryClient.getQueryData<Me>(queryKeys.me('org_b'))?.organizations).toEqual(ORGS);
    // Later requests go with the new token.
    fetchMock.mockClear();
    await requestJson('/datasets').catch(() => undefined);
    expect((fetchMock.mock.calls[0]?.[1]?.headers as Record<string, string>).Authorization).toBe(
      'Bearer at.org_b',
    );
  });

  it('a refresh of the same organization keeps the cache', async () => {
    const [acme] = ORGS as [OrganizationChoice];
    stubFetch({ '/api/v1/auth/refresh': { body: session(acme, [acme]) } });
    const queryClient = renderProvider();
    await waitFor(() => expect(screen.getByTestId('probe')).toHaveTextContent('Acme'));
    queryClient.setQueryData(queryKeys.datasets('org_a'), { items: [], next_cursor: null });
    act(() => setSession(session(acme, [acme])));
    expect(queryClient.getQueryData(queryKeys.datasets('org_a'))).toBeDefined();
  });

  it('a 403 password-change-required from any request asks for a new password', async () => {
    const [acme] = ORGS as [OrganizationChoice];
    stubFetch({
      '/api/v1/auth/refresh': { body: session(acme, [acme]) },
      '/api/v1/datasets': {
        status: 403,
        contentType: 'application/problem+json',
        body: {
          type: 'https://insightstream.dev/problems/password-change-required',
          title: 'Forbidden',
          status: 403,
          detail: 'your password was reset by an admin: choose a new one first',
        },
      },
    });
    renderProvider();
    await waitFor(() => expect(screen.getByTestId('probe')).toHaveTextContent('Acme / owner'));
    expect(screen.getByTestId('probe')).not.toHaveTextContent('must change');
    await act(() => requestJson('/datasets').catch(() => undefined));
    expect(screen.getByTestId('probe')).toHaveTextContent('Acme / owner / must change');
  });

  it('after a password change the session goes on without the must-change mark', async () => {
    const [acme] = ORGS as [OrganizationChoice];
    const reset = session(acme, [acme]);
    reset.user.must_change_password = true;
    const changed = session(acme, [acme]);
    changed.access_token = 'at.new';
    changed.user.must_change_password = false;
    const fetchMock = stubFetch({
      '/api/v1/auth/refresh': { body: reset },
      '/api/v1/me/password': { body: changed },
    });
    renderProvider();
    await waitFor(() => expect(screen.getByTestId('probe')).toHaveTextContent('must change'));
    await act(() =>
      seen.auth!.changePassword({
        current_password: 'temporary-pw-1',
        new_password: 'my-own-pw-22',
      }),
    );
    expect(screen.getByTestId('probe')).toHaveTextContent('Acme / owner');
    expect(screen.getByTestId('probe')).not.toHaveTextContent('must change');
    expect(requestTo(fetchMock, '/me/password')?.method).toBe('POST');
    expect(jsonSentTo(fetchMock, '/me/password')).toEqual({
      current_password: 'temporary-pw-1',
      new_password: 'my-own-pw-22',
    });
  });
});
