import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import {
  changePassword as apiChangePassword,
  login as apiLogin,
  logout as apiLogout,
  signup as apiSignup,
  switchOrganization as apiSwitchOrganization,
} from '../../api/auth';
import { toApiError } from '../../api/errors';
import { onPasswordChangeRequired, onSessionChange, refreshSession } from '../../api/http';
import type { ChangePasswordInput, LoginInput, Me, Session, SignupInput } from '../../api/types';
import { queryKeys } from '../../lib/queryKeys';
import { AuthContext, type AuthContextValue, type AuthState } from './authContext';

type AuthProviderProps = { children: ReactNode };

/**
 * Restores the session on load through the refresh cookie, keeps the access token in memory
 * (api/http.ts), and follows it when a refresh fails (the session has expired). A session of
 * another organization (a switch, or another tab's) drops every cached answer of the old one.
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
    // An admin reset the password while this session was open: nothing works until a new one.
    const unsubscribePassword = onPasswordChangeRequired(() => {
      setState((current) =>
        current.status === 'authenticated' && !current.user.must_change_password
          ? { ...current, user: { ...current.user, must_change_password: true } }
          : current,
      );
    });
    refreshSession()
      .then((session) => {
        if (!session) setState({ status: 'anonymous', expired: false });
      })
      .catch((error: unknown) => {
        setState({ status: 'anonymous', expired: false, error: toApiError(error) });
      });
    return () => {
      unsubscribe();
      unsubscribePassword();
    };
  }, [queryClient]);

  // A login, switch or password change lists every organization of the sign-in (a refresh
  // lists only its own): it is what GET /me would answer, so the switcher needs no request.
  const remember = useCallback(
    (session: Session) => {
      if (!session.organizations) return;
      const me: Me = {
        user: session.user,
        organization: session.organization,
        role: session.user.role,
        organizations: session.organizations,
      };
      queryClient.setQueryData(queryKeys.me(session.organization.id), me);
    },
    [queryClient],
  );

  const login = useCallback(
    async (input: LoginInput) => {
      remember(await apiLogin(input));
    },
    [remember],
  );

  const signup = useCallback(
    async (input: SignupInput) => {
      remember(await apiSignup(input));
    },
    [remember],
  );

  const switchOrganization = useCallback(
    async (organization: string) => {
      remember(await apiSwitchOrganization(organization));
    },
    [remember],
  );

  const changePassword = useCallback(
    async (input: ChangePasswordInput) => {
      remember(await apiChangePassword(input));
    },
    [remember],
  );

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
    () => ({
      state,
      login,
      signup,
      logout,
      retry: restore,
      switchOrganization,
      changePassword,
    }),
    [state, login, signup, logout, restore, switchOrganization, changePassword],
  );

  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}
