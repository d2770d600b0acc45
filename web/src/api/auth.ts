import { requestJson, requestVoid, setSession } from './http';
import type { ChangePasswordInput, LoginInput, Me, Session, SignupInput } from './types';

export async function signup(input: SignupInput): Promise<Session> {
  const session = await requestJson<Session>('/auth/signup', {
    method: 'POST',
    json: input,
    auth: false,
  });
  setSession(session);
  return session;
}

export async function login(input: LoginInput): Promise<Session> {
  const session = await requestJson<Session>('/auth/login', {
    method: 'POST',
    json: input,
    auth: false,
  });
  setSession(session);
  return session;
}

/** Revoke the refresh token family (the cookie goes with the request) and forget the session. */
export async function logout(): Promise<void> {
  try {
    await requestVoid('/auth/logout', { method: 'POST', auth: false });
  } finally {
    setSession(null);
  }
}

export function getMe(signal?: AbortSignal): Promise<Me> {
  return requestJson<Me>('/me', { signal });
}

/**
 * A new session for another organization this sign-in opens (one of GET /me's `organizations`).
 * The refresh cookie follows, so other tabs move to that organization at their next refresh.
 */
export async function switchOrganization(organization: string): Promise<Session> {
  const session = await requestJson<Session>('/auth/switch', {
    method: 'POST',
    json: { organization },
  });
  setSession(session);
  return session;
}

/**
 * Change your own password. Every other session of the member ends; this one goes on with the
 * tokens of the answer.
 */
export async function changePassword(input: ChangePasswordInput): Promise<Session> {
  const session = await requestJson<Session>('/me/password', { method: 'POST', json: input });
  setSession(session);
  return session;
}
