import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render, type RenderResult } from '@testing-library/react';
import type { ReactElement } from 'react';
import { MemoryRouter } from 'react-router';
import { vi } from 'vitest';
import type { Role, User } from '../api/types';
import { AuthContext, type AuthContextValue } from '../features/auth/authContext';

export const ORG = { id: 'org_test', name: 'Test Org' };

export function fakeAuth(role: Role, user: Partial<User> = {}): AuthContextValue {
  return {
    state: {
      status: 'authenticated',
      user: { id: 'usr_1', email: 'me@example.com', name: 'Me', role, ...user },
      organization: ORG,
    },
    login: vi.fn(() => Promise.resolve()),
    signup: vi.fn(() => Promise.resolve()),
    logout: vi.fn(() => Promise.resolve()),
    retry: vi.fn(),
    switchOrganization: vi.fn(() => Promise.resolve()),
    changePassword: vi.fn(() => Promise.resolve()),
  };
}

/** Render inside a fresh query cache, a memory router and a signed-in session. */
export function renderWithProviders(
  ui: ReactElement,
  options: { role?: Role; path?: string; auth?: AuthContextValue } = {},
): RenderResult {
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return render(
    <QueryClientProvider client={queryClient}>
      <MemoryRouter initialEntries={[options.path ?? '/']}>
        <AuthContext.Provider value={options.auth ?? fakeAuth(options.role ?? 'owner')}>
          {ui}
        </AuthContext.Provider>
      </MemoryRouter>
    </QueryClientProvider>,
  );
}

type StubRoute = {
  status?: number;
  body?: unknown;
  contentType?: string;
  headers?: Record<string, string>;
};

/**
 * A fetch stub answering JSON by URL path, or by "METHOD /path" where one path answers
 * differently per method. A 204 has no body.
 */
export function stubFetch(routes: Record<string, StubRoute>) {
  const fetchMock = vi.fn((input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(
      typeof input === 'string' ? input : input instanceof URL ? input.href : input.url,
      'http://localhost',
    );
    const method = (init?.method ?? 'GET').toUpperCase();
    const route = routes[`${method} ${url.pathname}`] ?? routes[url.pathname];
    if (!route)
      return Promise.resolve(
        new Response('{}', {
          status: 404,
          headers: { 'Content-Type': 'application/problem+json' },
        }),
      );
    const status = route.status ?? 200;
    return Promise.resolve(
      new Response(status === 204 ? null : JSON.stringify(route.body ?? null), {
        status,
        headers: { 'Content-Type': route.contentType ?? 'application/json', ...route.headers },
      }),
    );
  });
  vi.stubGlobal('fetch', fetchMock);
  return fetchMock;
}

/** The init of the first fetch call to `path` (with `method`, if given) that the stub saw. */
export function requestTo(
  fetchMock: { mock: { calls: unknown[][] } },
  path: string,
  method?: string,
): RequestInit | undefined {
  for (const [input, init] of fetchMock.mock.calls) {
    const request = init as RequestInit | undefined;
    if (typeof input !== 'string' || !input.includes(path)) continue;
    if (method && (request?.method ?? 'GET') !== method) continue;
    return request;
  }
  return undefined;
}

/** The JSON body of that call. */
export function jsonSentTo(
  fetchMock: { mock: { calls: unknown[][] } },
  path: string,
  method?: string,
): unknown {
  const body = requestTo(fetchMock, path, method)?.body;
  if (typeof body !== 'string') throw new Error(`no JSON request to ${path}`);
  return JSON.parse(body);
}
