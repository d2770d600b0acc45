// The transport under every endpoint function: the access token (kept in memory only),
// refresh through the HttpOnly cookie, and problem+json errors.

import { ApiError, networkError, parseProblem } from './errors';
import type { Session } from './types';

export const API_BASE = '/api/v1';

type SessionListener = (session: Session | null) => void;

let accessToken: string | null = null;
let expiresAt = 0;
let refreshTimer: ReturnType<typeof setTimeout> | undefined;
let refreshInFlight: Promise<Session | null> | null = null;
const listeners = new Set<SessionListener>();
const passwordChangeListeners = new Set<() => void>();

/** Seconds before expiry at which the access token is renewed. */
const RENEW_BEFORE_S = 60;

/** Store (or forget) the session. The access token lives in this module's memory only. */
export function setSession(session: Session | null): void {
  if (refreshTimer !== undefined) clearTimeout(refreshTimer);
  refreshTimer = undefined;
  if (session) {
    accessToken = session.access_token;
    const lifetime = Math.max(session.expires_in, 0);
    expiresAt = Date.now() + lifetime * 1000;
    const renewIn = Math.max(lifetime - RENEW_BEFORE_S, lifetime / 2, 5) * 1000;
    refreshTimer = setTimeout(() => {
      refreshSession().catch(() => {
        // A network hiccup: the next request tries again.
      });
    }, renewIn);
  } else {
    accessToken = null;
    expiresAt = 0;
  }
  for (const listener of listeners) listener(session);
}

export function onSessionChange(listener: SessionListener): () => void {
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
  };
}

/**
 * Called when the API answers 403 password-change-required: an admin reset the password of this
 * member, and nothing but choosing a new one (POST /me/password) works until then.
 */
export function onPasswordChangeRequired(listener: () => void): () => void {
  passwordChangeListeners.add(listener);
  return () => {
    passwordChangeListeners.delete(listener);
  };
}

export function hasAccessToken(): boolean {
  return accessToken !== null;
}

/** Run fn while holding a lock shared by every tab, so two tabs never spend one refresh token. */
async function withRefreshLock<T>(fn: () => Promise<T>): Promise<T> {
  const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
  if (locks && typeof locks.request === 'function') {
    return locks.request('insightstream-refresh', fn);
  }
  return fn();
}

async function doRefresh(): Promise<Session | null> {
  let response: Response;
  try {
    response = await fetch(`${API_BASE}/auth/refresh`, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { Accept: 'application/json' },
    });
  } catch (cause) {
    throw networkError(cause);
  }
  if (response.status === 401 || response.status === 400) {
    setSession(null);
    return null;
  }
  if (!response.ok) throw await parseProblem(response);
  const session = (await response.json()) as Session;
  setSession(session);
  return session;
}

/**
 * Exchange the refresh cookie for a new pair. Concurrent callers share one request;
 * resolves to null when there is no (valid) session.
 */
export function refreshSession(): Promise<Session | null> {
  refreshInFlight ??= withRefreshLock(doRefresh).finally(() => {
    refreshInFlight = null;
  });
  return refreshInFlight;
}

/** The current access token, renewed first when it is about to expire. */
export async function getAccessToken(): Promise<string | null> {
  if (accessToken && Date.now() < expiresAt - 15_000) return accessToken;
  if (accessToken || refreshInFlight) {
    const session = await refreshSession();
    return session?.access_token ?? null;
  }
  return null;
}

export type RequestOptions = {
  method?: string;
  query?: Record<string, string | number | boolean | null | undefined>;
  json?: unknown;
  body?: BodyInit;
  headers?: Record<string, string>;
  accept?: string;
  signal?: AbortSignal;
  /** Send the bearer token (default true). */
  auth?: boolean;
};

export function buildUrl(path: string, query?: RequestOptions['query']): string {
  const params = new URLSearchParams();
  if (query) {
    for (const [key, value] of Object.entries(query)) {
      if (value === undefined || value === null || value === '') continue;
      params.set(key, String(value));
    }
  }
  const qs = params.toString();
  return `${API_BASE}${path}${qs ? `?${qs}` : ''}`;
}

async function send(
  path: string,
  options: RequestOptions,
  token: string | null,
): Promise<Response> {
  const headers: Record<string, string> = {
    Accept: options.accept ?? 'application/json',
    ...options.headers,
  };
  let body = options.body;
  if (options.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(options.json);
  }
  if (token) headers.Authorization = `Bearer ${token}`;
  try {
    return await fetch(buildUrl(path, options.query), {
      method: options.method ?? 'GET',
      headers,
      body,
      signal: options.signal,
      credentials: 'same-origin',
    });
  } catch (cause) {
    if (cause instanceof DOMException && cause.name === 'AbortError') throw cause;
    throw networkError(cause);
  }
}

/** Fetch with the bearer token; a 401 triggers one refresh and one retry. Non-2xx throws ApiError. */
export async function apiFetch(path: string, options: RequestOptions = {}): Promise<Response> {
  const auth = options.auth ?? true;
  const token = auth ? await getAccessToken() : null;
  let response = await send(path, options, token);
  if (auth && response.status === 401) {
    const session = await refreshSession();
    if (session) response = await send(path, options, session.access_token);
  }
  if (!response.ok) {
    const problem = await parseProblem(response);
    if (problem.status === 403 && problem.code === 'password-change-required') {
      for (const listener of passwordChangeListeners) listener();
    }
    throw problem;
  }
  return response;
}

export async function requestJson<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const response = await apiFetch(path, options);
  if (response.status === 204) return undefined as T;
  try {
    return (await response.json()) as T;
  } catch (cause) {
    throw new ApiError({
      status: response.status,
      title: 'Unexpected answer from the server',
      detail: cause instanceof Error ? cause.message : 'the body is not JSON',
      requestId: response.headers.get('x-request-id') ?? undefined,
    });
  }
}

export async function requestVoid(path: string, options: RequestOptions = {}): Promise<void> {
  await apiFetch(path, options);
}

/** A download: the body as a Blob and the file name the server suggested. */
export async function requestBlob(
  path: string,
  options: RequestOptions = {},
): Promise<{ blob: Blob; filename: string | null }> {
  const response = await apiFetch(path, options);
  const disposition = response.headers.get('content-disposition') ?? '';
  const match = /filename="?([^";]+)"?/i.exec(disposition);
  return { blob: await response.blob(), filename: match?.[1] ?? null };
}
