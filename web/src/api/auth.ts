import { requestJson, requestVoid, setSession } from './http';
import type { LoginInput, Me, Session, SignupInput } from './types';

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
