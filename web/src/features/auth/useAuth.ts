import { useContext } from 'react';
import type { Organization, User } from '../../api/types';
import { AuthContext, type AuthContextValue } from './authContext';

export function useAuth(): AuthContextValue {
  const value = useContext(AuthContext);
  if (!value) throw new Error('useAuth must be used inside <AuthProvider>');
  return value;
}

/** The signed-in user and organization; only for components under <RequireAuth>. */
export function useSession(): { user: User; organization: Organization; orgId: string } {
  const { state } = useAuth();
  if (state.status !== 'authenticated') throw new Error('useSession needs a signed-in user');
  return { user: state.user, organization: state.organization, orgId: state.organization.id };
}
