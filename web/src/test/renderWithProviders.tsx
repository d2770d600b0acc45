import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render, type RenderResult } from '@testing-library/react';
import type { ReactElement } from 'react';
import { MemoryRouter } from 'react-router';
import { vi } from 'vitest';
import type { Role } from '../api/types';
import { AuthContext, type AuthContextValue } from '../features/auth/authContext';

export const ORG = { id: 'org_test', name: 'Test Org' };

export function fakeAuth(role: Role): AuthContextValue {
  return {
    state: {
      status: 'authenticated',
      user: { id: 'usr_1', email: 'me@example.com', name: 'Me', role },
      organization: ORG,
    },
    login: vi.fn(() => Promise.resolve()),
    signup: vi.fn(() => Promise.resolve()),
    logout: vi.fn(() => Promise.resolve()),
    retry: vi.fn(),
  };
}

/** Render inside a fresh query cache, a memory router and a signed-in session. */
export function renderWithProviders(
  ui: ReactElement,
  options: { role?: Role; path?: string } = {},
): RenderResult {
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return render(
    <QueryClientProvider client={queryClient}>
      <MemoryRouter initialEntries={[options.path ?? '/']}>
        <AuthContext.Provider value={fakeAuth(options.role ?? 'owner')}>{ui}</AuthContext.Provider>
      </MemoryRouter>
    </QueryClientProvider>,
  );
}

/** A fetch stub answering JSON by URL path. */
export function stubFetch(
  routes: Record<string, { status?: number; body: unknown; contentType?: string }>,
) {
  const fetchMock = vi.fn((input: RequestInfo | URL) => {
    const url = new URL(
      typeof input === 'string' ? input : input instanceof URL ? input.href : input.url,
      'http://localhost',
    );
    const route = routes[url.pathname];
    if (!route)
      return Promise.resolve(
        new Response('{}', {
          status: 404,
          headers: { 'Content-Type': 'application/problem+json' },
        }),
      );
    return Promise.resolve(
      new Response(JSON.stringify(route.body), {
        status: route.status ?? 200,
        headers: { 'Content-Type': route.contentType ?? 'application/json' },
      }),
    );
  });
  vi.stubGlobal('fetch', fetchMock);
  return fetchMock;
}
