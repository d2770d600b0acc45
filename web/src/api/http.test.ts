import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from './errors';
import {
  getAccessToken,
  onPasswordChangeRequired,
  refreshSession,
  requestJson,
  setSession,
} from './http';
import type { Session } from './types';

function session(token: string): Session {
  return {
    access_token: token,
    refresh_token: 'rt.x',
    token_type: 'Bearer',
    expires_in: 900,
    user: { id: 'usr_1', email: 'a@b.c', name: 'A', role: 'owner' },
    organization: { id: 'org_1', name: 'Org' },
  };
}

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': status < 400 ? 'application/json' : 'application/problem+json' },
  });

function authHeader(init: RequestInit | undefined): string | undefined {
  return (init?.headers as Record<string, string> | undefined)?.Authorization;
}

beforeEach(() => {
  setSession(null);
});

afterEach(() => {
  setSession(null);
  vi.unstubAllGlobals();
});

describe('the API transport', () => {
  it('sends the in-memory access token and never touches web storage', async () => {
    const fetchMock = vi.fn((_url: string, _init?: RequestInit) =>
      Promise.resolve(json({ ok: true })),
    );
    vi.stubGlobal('fetch', fetchMock);
    setSession(session('token-1'));
    await requestJson('/me');
    expect(authHeader(fetchMock.mock.calls[0]?.[1])).toBe('Bearer token-1');
    expect(localStorage.length).toBe(0);
    expect(sessionStorage.length).toBe(0);
  });

  it('refreshes once on 401 and retries with the new token', async () => {
    const fetchMock = vi.fn((url: string, init?: RequestInit) => {
      if (url.endsWith('/auth/refresh')) return Promise.resolve(json(session('token-2')));
      return Promise.resolve(
        authHeader(init) === 'Bearer token-2'
          ? json({ ok: true })
          : json({ title: 'Authentication required', status: 401 }, 401),
      );
    });
    vi.stubGlobal('fetch', fetchMock);
    setSession(session('token-1'));
    await expect(requestJson('/me')).resolves.toEqual({ ok: true });
    expect(fetchMock.mock.calls.map((c) => c[0])).toEqual([
      '/api/v1/me',
      '/api/v1/auth/refresh',
      '/api/v1/me',
    ]);
    expect(await getAccessToken()).toBe('token-2');
  });

  it('shares one refresh between concurrent callers (a refresh token is single-use)', async () => {
    let refreshes = 0;
    vi.stubGlobal(
      'fetch',
      vi.fn(() => {
        refreshes++;
        return Promise.resolve(json(session('token-3')));
      }),
    );
    const [a, b, c] = await Promise.all([refreshSession(), refreshSession(), refreshSession()]);
    expect(refreshes).toBe(1);
    expect(a?.access_token).toBe('token-3');
    expect(b).toBe(a);
    expect(c).toBe(a);
  });

  it('forgets the session when the refresh cookie is refused, and throws the problem', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(() =>
        Promise.resolve(
          json({ title: 'Authentication required', status: 401, detail: 'log in again' }, 401),
        ),
      ),
    );
    setSession(session('token-1'));
    const error = await requestJson('/me').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(401);
    expect(await getAccessToken()).toBeNull();
  });

  it('tells its listeners when the API asks for a new password first', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn((url: string) =>
        Promise.resolve(
          url.endsWith('/datasets')
            ? json(
                {
                  type: 'https://insightstream.dev/problems/password-change-required',
                  title: 'Not allowed',
                  status: 403,
                },
                403,
              )
            : json({ type: 'https://insightstream.dev/problems/forbidden', status: 403 }, 403),
        ),
      ),
    );
    setSession(session('token-1'));
    const listener = vi.fn();
    const unsubscribe = onPasswordChangeRequired(listener);
    await expect(requestJson('/users')).rejects.toBeInstanceOf(ApiError);
    expect(listener).not.toHaveBeenCalled();
    const error = await requestJson('/datasets').catch((e: unknown) => e);
    expect((error as ApiError).code).toBe('password-change-required');
    expect(listener).toHaveBeenCalledTimes(1);
    unsubscribe();
    await requestJson('/datasets').catch(() => undefined);
    expect(listener).toHaveBeenCalledTimes(1);
  });
});
