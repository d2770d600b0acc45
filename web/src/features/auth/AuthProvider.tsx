import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { login as apiLogin, logout as apiLogout, signup as apiSignup } from '../../api/auth';
import { toApiError } from '../../api/errors';
import { onSessionChange, refreshSession } from '../../api/http';
import type { LoginInput, Session, SignupInput } from '../../api/types';
import { AuthContext, type AuthContextValue, type AuthState } from './authContext';

type AuthProviderProps = { children: ReactNode };

/**
 * Restores the session on load through the refresh cookie, keeps the access token in memory
 * (api/http.ts), and follows it when a refresh fails (the session has expired).
 */
export function AuthProvider({ children }: AuthProviderProps) {
  const queryClient = useQueryClient();
  const [state, setState] = useState<AuthState>({ status: 'loading' });
  const leaving = useRef(false);
  const orgId = useRef<string | null>(null);

  const restore = useCallback(() => {
    setState({ status: 'loading' });
    refreshSession()
      .then((session) => {
        if (!session) setState({ status: 'anonymous', expired: false });
      })
      .catch((error: unknown) => {
        setState({ status: 'anonymous', expired: false, error: toApiError(error) });
      });
  }, []);

  useEffect(() => {
    const unsubscribe = onSessionChange((session: Session | null) => {
      if (session) {
        if (orgId.current !== null && orgId.current !== session.organization.id)
          queryClient.clear();
        orgId.current = session.organization.id;
        leaving.current = false;
        setState({
          status: 'authenticated',
          user: session.user,
          organization: session.organization,
        });
      } else {
        const expired = !leaving.current && orgId.current !== null;
        setState({ status: 'anonymous', expired });
      }
    });
    refreshSession()
      .then((session) => {
        if (!session) setState({ status: 'anonymous', expired: false });
      })
      .catch((error: unknown) => {
        setState({ status: 'anonymous', expired: false, error: toApiError(error) });
      });
    return unsubscribe;
  }, [queryClient]);

  const login = useCallback(async (input: LoginInput) => {
    await apiLogin(input);
  }, []);

  const signup = useCallback(async (input: SignupInput) => {
    await apiSignup(input);
  }, []);

  const logout = useCallback(async () => {
    leaving.current = true;
    try {
      await apiLogout();
    } catch {
      // the session is forgotten locally either way
    } finally {
      orgId.current = null;
      queryClient.clear();
    }
  }, [queryClient]);

  const value = useMemo<AuthContextValue>(
    () => ({ state, login, signup, logout, retry: restore }),
    [state, login, signup, logout, restore],
  );

  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}
